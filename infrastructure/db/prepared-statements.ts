// Named (prepared) statements on a PostgreSQL server: each connection parses and plans a statement once, then
// only binds and executes it. Planning is most of the server's work on a short statement: an append costs the
// server about 350 µs unnamed and 90 µs prepared on the machine of the performance issue.
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/** More parameters mostly means a list of varying length (`in (...)`, rows of `values`): left unnamed. */
const MAX_PARAMETERS = 64;
/** Bounds the statements each connection keeps prepared, whatever texts a process sends. */
const MAX_STATEMENTS = 256;
/**
 * Marks a statement whose best plan depends on how large its tables are when it runs, such as a lookup of a
 * batch's keys (`id = any($1)`, a join with `unnest($1)`): it is planned at every run instead of prepared. A
 * prepared statement is planned a few times and then keeps a generic plan, made from the tables as they were
 * then; a read model's tables are often empty then (a new deployment, a rebuild), and a plan that read the
 * empty table whole goes on reading it whole as it grows, until autovacuum analyses it: a catch-up from empty
 * becomes quadratic. Such lookups run once per batch, so planning them each time costs little.
 */
export const PLAN_PER_RUN = '/* plan per run */';
/** PostgreSQL's answer when a table changed under a prepared `select *` (a migration by a newer process). */
const CHANGED_RESULT_TYPE = 'cached plan must not change result type';

/** Names the texts that are worth preparing; one per process, shared by its connections. */
export class StatementNames {
  readonly #names = new Map<string, string>();
  #next = 0;

  /**
   * undefined: send unnamed. Statements without parameters (begin, commit, DDL, scripts) stay on the simple
   * protocol, and those marked PLAN_PER_RUN are planned afresh.
   */
  nameOf(text: string, parameterCount: number): string | undefined {
    if (parameterCount === 0 || parameterCount > MAX_PARAMETERS || text.includes(PLAN_PER_RUN)) return undefined;
    const known = this.#names.get(text);
    if (known !== undefined || this.#names.size >= MAX_STATEMENTS) return known;
    const name = `chorus_${this.#next++}`;
    this.#names.set(text, name);
    return name;
  }

  /**
   * Runs `text` as `prepared` under its name when it is worth one, else as `unnamed`. When a table changed under
   * it, PostgreSQL refuses the old plan: that run fails, and the next prepares the text afresh under a new name.
   */
  async run<T>(text: string, parameterCount: number, prepared: (name: string) => Promise<T>, unnamed: () => Promise<T>): Promise<T> {
    const name = this.nameOf(text, parameterCount);
    if (name === undefined) return unnamed();
    try {
      return await prepared(name);
    } catch (error) {
      if ((error as { message?: unknown }).message === CHANGED_RESULT_TYPE) this.#names.delete(text);
      throw error;
    }
  }
}

/** A pool for Kysely's PostgresDialect whose clients send every statement worth it as a prepared one. */
export function preparingPool(pool: pg.Pool, names = new StatementNames()): PostgresPool {
  // One wrapper per connection: Kysely keeps its own per-connection state keyed by the client object.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    connect: async () => {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (wrapper === undefined) wrappers.set(client, (wrapper = preparingClient(client, names)));
      return wrapper;
    },
    end: () => pool.end(),
  };
}

function preparingClient(client: pg.PoolClient, names: StatementNames): PostgresPoolClient {
  return {
    query: ((text: unknown, values: unknown[]) => {
      if (typeof text !== 'string') return client.query(text as pg.Submittable); // a cursor
      return runNamed(client, names, text, values);
    }) as PostgresPoolClient['query'],
    release: () => client.release(),
  };
}

// pg types `command` as any string; Kysely narrows it to the commands it reads.
type Result = PostgresQueryResult<unknown>;

const runNamed = (client: pg.PoolClient, names: StatementNames, text: string, values: unknown[]): Promise<Result> =>
  names.run(
    text,
    values.length,
    async (name) => (await client.query({ name, text, values })) as Result,
    async () => (await client.query(text, values)) as Result,
  );
