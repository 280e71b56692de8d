// given(events).when(events).then(rows) for any Projection: its real `apply`, batch after batch, in a transaction
// on an embedded database (one per test file; each test's transaction is rolled back), then the whole history
// applied a second time, which must leave every row as the first time did.
import test, { type ExecutionContext } from 'ava';
import { sql, type Selectable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { EventMetadata, RecordedEvent } from '../../application/ports/event-store.js';
import type { Event } from '../../domain/kernel/decider.js';
import type { SqlDatabase } from '../../infrastructure/db/database.js';
import type { Projection } from '../../projections/projection.js';
import type { Schema } from '../../projections/schema.js';
import { embeddedTestDatabase, type TestDatabase } from './databases.js';
import { metadata as testMetadata } from './events.js';

/** The tables a projection writes, each with the columns its rows are ordered by (its key). */
export type ProjectionTables = { readonly [T in keyof Schema]?: readonly (keyof Schema[T] & string)[] };

/** Rows of some of those tables, in key order. */
export type ProjectionRows<Tables extends ProjectionTables> = { [T in keyof Tables & keyof Schema]?: readonly Selectable<Schema[T]>[] };

/** Events as a store would record them: revisions counted per stream, positions across the log. */
export type RecordedEventLog = Readonly<{
  record<E extends Event>(streamId: string, event: E, metadata?: Partial<EventMetadata>): RecordedEvent<E['data']> & Readonly<{ type: E['type'] }>;
}>;

export function recordedEventLog(): RecordedEventLog {
  const revisions = new Map<string, number>();
  let position = 0;
  return {
    record(streamId, event, metadata = {}) {
      const revision = (revisions.get(streamId) ?? -1) + 1;
      revisions.set(streamId, revision);
      position++;
      return { eventId: uuidv7(), type: event.type, data: event.data, streamId, revision, position: String(position), metadata: { ...testMetadata, ...metadata } };
    },
  };
}

/**
 * Call once per test file, at its top level: it opens the file's database before the first test and drops it
 * after the last. `tables` names what `then` reads, and what the second application must leave unchanged.
 */
export function ProjectionSpecification<Tables extends ProjectionTables>(projection: Projection, tables: Tables) {
  let testDb: Promise<TestDatabase> | undefined;
  const database = async (): Promise<SqlDatabase> => (await (testDb ??= embeddedTestDatabase())).database;
  test.after.always(async () => (await testDb)?.drop());

  /** The rows of every table in `tables`, in key order, as raw SQL reads them (the same driver types as Kysely). */
  async function snapshot(db: SqlDatabase['db']): Promise<Record<string, unknown[]>> {
    const rows: Record<string, unknown[]> = {};
    for (const [table, key] of Object.entries(tables) as [string, readonly string[]][]) {
      const order = sql.join(key.map((column) => sql.ref(column)));
      rows[table] = (await sql`select * from ${sql.table(table)} order by ${order}`.execute(db)).rows;
    }
    return rows;
  }

  /** Applies the batches in turn, reads the rows, applies them all again, reads again; then rolls it all back. */
  async function run(batches: readonly (readonly RecordedEvent[])[]): Promise<{ first: Record<string, unknown[]>; second: Record<string, unknown[]> }> {
    const handled = batches.map((batch) => batch.filter((event) => projection.handles.includes(event.type))); // as the runner hands them over
    const tx = await (await database()).db.startTransaction().execute();
    try {
      const applyAll = async (): Promise<void> => {
        for (const batch of handled) await projection.apply(tx, batch);
      };
      await applyAll();
      const first = await snapshot(tx);
      await applyAll();
      return { first, second: await snapshot(tx) };
    } finally {
      await tx.rollback().execute();
    }
  }

  const then = (batches: readonly (readonly RecordedEvent[])[]) =>
    async function then(t: ExecutionContext, expected: ProjectionRows<Tables>): Promise<void> {
      if (typeof t === 'function') throw new Error('await then(t, rows) itself, not the object given() or when() returns');
      const { first, second } = await run(batches);
      const named = Object.keys(expected);
      t.true(named.length > 0, 'then() names at least one table');
      for (const table of named) {
        if (!(table in tables)) t.fail(`${table} is not one of the tables this specification reads`);
        t.deepEqual(first[table], expected[table as keyof typeof expected] as unknown[], `the rows of ${table}`);
      }
      t.deepEqual(second, first, 'applying the same events again changed rows');
    };

  return {
    /** History, applied as one batch. */
    given: (history: readonly RecordedEvent[]) => ({
      /** A later batch, applied after the history. */
      when: (events: readonly RecordedEvent[]) => ({ then: then([history, events]) }),
      then: then([history]),
    }),
  };
}
