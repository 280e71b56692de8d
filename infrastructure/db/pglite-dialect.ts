// Kysely on embedded PGlite: one connection, handed to one caller at a time (so transactions never interleave),
// and statements worth it sent as named, prepared statements. Every statement goes through PGlite's protocol
// entry (execProtocol), not its query(): that parses and plans every statement again, in WebAssembly, on the one
// thread the whole embedded profile runs on (the append alone took most of the database time of a submitted
// feedback), and pays a fixed cost per statement besides (see runStatement).
import { messages, parse, protocol, type PGlite, type Results } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { StatementNames } from './prepared-statements.js';

export class PgliteDialect implements Dialect {
  constructor(private readonly pglite: PGlite) {}

  createAdapter = () => new PostgresAdapter();
  createDriver = (): Driver => new PgliteDriver(this.pglite);
  createQueryCompiler = () => new PostgresQueryCompiler();
  createIntrospector = (db: Kysely<unknown>) => new PostgresIntrospector(db);
}

class PgliteDriver implements Driver {
  private readonly connection: PgliteConnection;
  private held = false;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly pglite: PGlite) {
    this.connection = new PgliteConnection(pglite);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.held = true;
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    const next = this.waiting.shift();
    if (next === undefined) this.held = false;
    else next(); // handed straight on: `held` stays true
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel === undefined ? '' : ` isolation level ${settings.isolationLevel}`;
    await connection.executeQuery(CompiledQuery.raw(`start transaction${isolation}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    await this.pglite.close();
  }
}

class PgliteConnection implements DatabaseConnection {
  private readonly names = new StatementNames();
  /** The parameter types of each statement prepared, by name: values are serialised by them. */
  private readonly parameterTypes = new Map<string, number[]>();

  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.run<R>(query.sql, query.parameters);
    return { rows: result.rows, ...(result.affectedRows ? { numAffectedRows: BigInt(result.affectedRows) } : {}) };
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.run<R>(query.sql, query.parameters);
    for (let at = 0; at < rows.length; at += chunkSize) yield { rows: rows.slice(at, at + chunkSize) };
  }

  private run<R>(text: string, values: readonly unknown[]): Promise<Results<R>> {
    return this.names.run(
      text,
      values.length,
      (name) => this.pglite.runExclusive(() => this.runStatement<R>(name, text, values)),
      () => this.pglite.runExclusive(() => this.runStatement<R>(UNNAMED, text, values)),
    );
  }

  /**
   * Runs `text` under `name`: in one call into PGlite, or two when the types of its parameters must be described
   * first (a named statement's once, the unnamed one's every time); one without parameters is parsed in the same
   * call. PGlite's own query() makes five calls, and its result parser copies every type parser it knows (over 300)
   * into a new object per statement, about 0.1 ms: begin and commit alone paid that twice a batch.
   */
  private async runStatement<R>(name: string, text: string, values: readonly unknown[]): Promise<Results<R>> {
    const types = values.length === 0 ? [] : (this.parameterTypes.get(name) ?? (await this.describe(name, text)));
    const serialized = values.map((value, index) => {
      if (value === null || value === undefined) return null;
      const serialize = this.pglite.serializers[types[index]!];
      return serialize === undefined ? String(value) : serialize(value);
    });
    const { messages } = await this.pglite.execProtocol(
      concat([
        ...(values.length === 0 ? [protocol.serialize.parse({ name, text, types: [] })] : []),
        protocol.serialize.bind({ statement: name, values: serialized }),
        protocol.serialize.describe({ type: 'P' }),
        protocol.serialize.execute({}),
        protocol.serialize.sync(),
      ]),
      { syncToFs: !this.pglite.isInTransaction() }, // as PGlite's query() does: a transaction syncs at its end
    );
    return firstResult<R>(messages, this.pglite.parsers);
  }

  /** Parses `text` under `name` and returns the types of its parameters, kept for a named statement. */
  private async describe(name: string, text: string): Promise<number[]> {
    const { messages } = await this.pglite.execProtocol(
      concat([protocol.serialize.parse({ name, text, types: [] }), protocol.serialize.describe({ type: 'S', name }), protocol.serialize.sync()]),
      { syncToFs: false }, // changes no data
    );
    const types = parse.parseDescribeStatementResults(messages);
    if (name !== UNNAMED) this.parameterTypes.set(name, types);
    return types;
  }
}

const UNNAMED = '';

/** The rows and count of the first statement's result, each column through the parser of its type (text without one). */
function firstResult<R>(replies: readonly messages.BackendMessage[], parsers: PGlite['parsers']): Results<R> {
  let fields: readonly messages.Field[] = [];
  const rows: Record<string, unknown>[] = [];
  for (const message of replies) {
    if (message instanceof messages.RowDescriptionMessage) {
      fields = message.fields;
    } else if (message instanceof messages.DataRowMessage) {
      const row: Record<string, unknown> = {};
      message.fields.forEach((value, index) => {
        const { name, dataTypeID } = fields[index]!;
        const parser = parsers[dataTypeID];
        row[name] = value === null || parser === undefined ? value : parser(value, dataTypeID);
      });
      rows.push(row);
    } else if (message instanceof messages.CommandCompleteMessage) {
      return { rows: rows as R[], fields: fieldsOf(fields), affectedRows: affectedRowsOf(message.text) };
    }
  }
  return { rows: rows as R[], fields: fieldsOf(fields), affectedRows: 0 };
}

const fieldsOf = (fields: readonly messages.Field[]) => fields.map(({ name, dataTypeID }) => ({ name, dataTypeID }));

/** From a command tag: `INSERT 0 3`, `UPDATE 2`, `DELETE 1`, `COPY 5`, `MERGE 4`; others change no rows. */
function affectedRowsOf(tag: string): number {
  const words = tag.split(' ');
  switch (words[0]) {
    case 'INSERT':
      return Number(words[2]);
    case 'UPDATE':
    case 'DELETE':
    case 'COPY':
    case 'MERGE':
      return Number(words[1]);
    default:
      return 0;
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}
