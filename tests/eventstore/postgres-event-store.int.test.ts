import test from 'ava';
import pg from 'pg';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { eventStoreContract, subscribeUntil } from './event-store-contract.js';
import { freshCategory, freshStream, newEvents } from '../support/events.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'PostgreSQL event store contract');

if (databaseUrl !== undefined) {
  eventStoreContract('PostgreSQL', async () => {
    const { database, drop } = await serverTestDatabase(databaseUrl, { poolMax: 12 });
    return { store: new PostgresEventStore(database, { pollIntervalMs: 200 }), close: drop };
  });

  let db: TestDatabase;
  test.before(async () => {
    db = await serverTestDatabase(databaseUrl);
  });
  test.after.always(async () => {
    await db?.drop();
  });

  // The gap a naive reader falls into: an append that took its position first commits after a later one.
  test('PostgreSQL: an append that commits after a later position became visible is still delivered, in order', async (t) => {
    const store = new PostgresEventStore(db.database, { pollIntervalMs: 100 });
    const category = freshCategory();
    await store.append(freshStream(category), newEvents(1, 'Before'), { expectedRevision: 'no_stream' });
    const [slowEvent] = newEvents(1, 'Slow');

    // An open transaction holding the slow event's id makes the slow append wait on the unique index,
    // after it has claimed its revision and so its transaction id (and position).
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query(
      `insert into events (position, event_id, stream_id, category, revision, type, data, metadata)
       values (-1, $1, 'blocker-1', 'blocker', 0, 'Blocker', '{}', '{}')`,
      [slowEvent!.eventId],
    );
    const slow = store.append(freshStream(category), [slowEvent!], { expectedRevision: 'no_stream' });
    await waitUntilBlocked(blocker, db.url!);
    const fast = await store.append(freshStream(category), newEvents(1, 'Fast'), { expectedRevision: 'no_stream' });

    const whileBlocked = await subscribeUntil(store, { categories: [category] }, () => true, 2000);
    t.deepEqual(
      whileBlocked.events.map((e) => e.type),
      ['Before'],
      'the committed later append stays invisible while an earlier one is open',
    );
    t.true(store.comparePositions((await store.headPosition())!, fast.position) < 0, 'the head stops below it');
    t.true(store.comparePositions((await store.newestPosition())!, fast.position) >= 0, 'the newest position covers it: its writer may wait for it');

    await blocker.query('rollback');
    await blocker.end();
    const slowResult = await slow;
    t.true(store.comparePositions(slowResult.position, fast.position) < 0, 'the late commit holds the lower position');
    const from = whileBlocked.batches.at(-1)!.checkpoint;
    const { events } = await subscribeUntil(store, { from, categories: [category] }, (received) => received.length === 2);
    t.deepEqual(
      events.map((e) => e.type),
      ['Slow', 'Fast'],
    );
  });
}

async function waitUntilBlocked(blocker: pg.Client, url: string): Promise<void> {
  const observer = new pg.Client({ connectionString: url });
  await observer.connect();
  try {
    const blockerPid = (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    for (let attempt = 0; attempt < 200; attempt++) {
      const { rows } = await observer.query<{ waiting: string }>(
        'select count(*) as waiting from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
        [blockerPid],
      );
      if (Number(rows[0]!.waiting) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the slow append never started waiting');
  } finally {
    await observer.end();
  }
}
