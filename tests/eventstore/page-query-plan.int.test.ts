// The subscription's page query must cost the same however long the log is: its plan reads events through
// indexes only, never a scan of the whole events table (a sequential or bitmap heap scan).
import test, { type ExecutionContext } from 'ava';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { PostgresEventStore, pageQuery } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { embeddedTestDatabase, serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { collect, newEvents } from '../support/events.js';
import { serviceUrl } from '../support/services.js';

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; Plans?: PlanNode[] };

function* nodesOf(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* nodesOf(child);
}

/**
 * The first `count` events of the log once readable: the store reads only below the oldest transaction open on the
 * whole server (its gap safety), so a transaction of another database on a shared server can hold them back a moment.
 */
async function readSettled(store: PostgresEventStore, count: number): Promise<RecordedEvent[]> {
  for (let attempt = 1; ; attempt++) {
    const events = await collect(store.readAll({ limit: count }));
    if (events.length === count || attempt === 300) return events;
    await delay(100);
  }
}

async function checkPlans(t: ExecutionContext, testDb: TestDatabase): Promise<void> {
  const store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
  // 20,000 events in two categories, then fresh statistics, as a long-running store has them.
  for (let n = 0; n < 200; n++) await store.append(`${n % 2 === 0 ? 'feedback' : 'poll'}-${n}`, newEvents(100), { expectedRevision: 'no_stream' });
  await sql`analyze events`.execute(testDb.database.db);
  const [middle] = await collect(store.readAll({ limit: 1, from: (await readSettled(store, 10_000))[9_999]!.position }));

  for (const [what, from, categories] of [
    ['from the start', null, undefined],
    ['from the middle', middle!.position, undefined],
    ['one category, from the middle', middle!.position, ['feedback']],
  ] as const) {
    const { rows } = await sql<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>`explain (format json) ${pageQuery(from, { categories }, 500)}`.execute(testDb.database.db);
    const raw = rows[0]!['QUERY PLAN'];
    const plan = (typeof raw === 'string' ? (JSON.parse(raw) as [{ Plan: PlanNode }]) : raw)[0].Plan;
    const scans = [...nodesOf(plan)].filter((node) => node['Relation Name'] === 'events').map((node) => node['Node Type']);
    t.true(scans.length > 0, `${what}: the plan reads events`);
    t.deepEqual(
      scans.filter((type) => !type.startsWith('Index')),
      [],
      `${what}: events are read through an index only (${scans.join(', ')})`,
    );
  }
}

test('PGlite: the page query reads events through indexes only', async (t) => {
  const testDb = await embeddedTestDatabase();
  try {
    await checkPlans(t, testDb);
  } finally {
    await testDb.drop();
  }
});

const databaseUrl = serviceUrl('DATABASE_URL', 'page query plan on PostgreSQL');
if (databaseUrl !== undefined) {
  test('PostgreSQL: the page query reads events through indexes only', async (t) => {
    const testDb = await serverTestDatabase(databaseUrl);
    try {
      await checkPlans(t, testDb);
    } finally {
      await testDb.drop();
    }
  });
}
