// How subscriptions hear of commits: at once from appends in this process, by one NOTIFY per category per burst
// from other processes, and by polling when that news is lost. A burst of commits is read as one batch, and a
// subscription sleeps through appends to categories it does not read.
import test, { type ExecutionContext } from 'ava';
import { openPostgres, type SqlDatabase } from '../../infrastructure/db/database.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { embeddedTestDatabase, serverTestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { subscribeUntil } from './event-store-contract.js';
import { freshCategory, freshStream, newEvents } from '../support/events.js';

/** Runs `work` once a subscription started alongside is waiting. */
const later = <T>(work: () => Promise<T>): Promise<T> => new Promise((resolve) => setTimeout(resolve, 200)).then(work);

/** Longer than any test waits: whatever a subscription receives came from news of a commit, not from its poll. */
const NEVER_POLL_MS = 60_000;

test('a burst of commits in this process wakes a subscription once, and it reads them together', async (t) => {
  const { database, drop } = await embeddedTestDatabase();
  try {
    const gatherMs = 3000;
    const store = new PostgresEventStore(database, { pollIntervalMs: NEVER_POLL_MS, gatherMs });
    const category = freshCategory();
    let elapsedMs = 0;
    // Twenty appends while the subscription waits; the first commit's news starts the gathering.
    const appending = later(async () => {
      const started = Date.now();
      for (let n = 0; n < 20; n++) await store.append(freshStream(category), newEvents(1), { expectedRevision: 'no_stream' });
      elapsedMs = Date.now() - started;
    });
    const [{ events, batches }] = await Promise.all([subscribeUntil(store, { categories: [category] }, (received) => received.length === 20, 30_000), appending]);
    t.is(events.length, 20);
    // Each batch but the last began with a gathering that ended before the appends did.
    t.true(batches.length <= 1 + Math.floor(elapsedMs / gatherMs), `${batches.length} batches for commits spread over ${elapsedMs} ms`);
  } finally {
    await drop();
  }
});

test('an append in this process wakes a subscription of another store on the same database', async (t) => {
  const { database, drop } = await embeddedTestDatabase();
  try {
    const writer = new PostgresEventStore(database, { pollIntervalMs: NEVER_POLL_MS });
    const reader = new PostgresEventStore(database, { pollIntervalMs: NEVER_POLL_MS });
    const category = freshCategory();
    const appending = new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
      writer.append(freshStream(category), newEvents(2), { expectedRevision: 'no_stream' }),
    );
    const [{ events }] = await Promise.all([subscribeUntil(reader, { categories: [category] }, (received) => received.length === 2, 10_000), appending]);
    t.is(events.length, 2);
  } finally {
    await drop();
  }
});

/**
 * Appends to `other` and then to `mine` while a subscription to `mine` (and one to every category) waits, polling
 * never: the first is handed only the second append, the second both.
 */
async function sleepsThroughOtherCategories(t: ExecutionContext, reader: PostgresEventStore, writer: PostgresEventStore): Promise<void> {
  const [mine, other] = [freshCategory(), freshCategory()];
  const appending = later(async () => {
    await writer.append(freshStream(other), newEvents(1), { expectedRevision: 'no_stream' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writer.append(freshStream(mine), newEvents(1), { expectedRevision: 'no_stream' });
  });
  const from = await reader.headPosition();
  const [own, every] = await Promise.all([
    subscribeUntil(reader, { from, categories: [mine] }, (received) => received.length === 1, 10_000),
    subscribeUntil(reader, { from }, (received) => received.length === 2, 10_000),
    appending,
  ]);
  t.deepEqual(
    own.batches.map((batch) => batch.events.length),
    [1],
    'no batch (not even an empty one moving the checkpoint) for the append to another category',
  );
  t.is(every.events.length, 2, 'a subscription to every category hears of both');
}

test('a subscription sleeps through appends in this process to categories it does not read', async (t) => {
  const { database, drop } = await embeddedTestDatabase();
  try {
    const store = new PostgresEventStore(database, { pollIntervalMs: NEVER_POLL_MS });
    await sleepsThroughOtherCategories(t, store, store);
  } finally {
    await drop();
  }
});

test('an empty log yields nothing until its first event', async (t) => {
  const { database, drop } = await embeddedTestDatabase();
  try {
    const store = new PostgresEventStore(database, { pollIntervalMs: 20 });
    t.is(await store.headPosition(), null);
    const category = freshCategory();
    // The first event arrives while the subscription already waits; a failed append fails the test.
    const appending = new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
      store.append(freshStream(category), newEvents(1), { expectedRevision: 'no_stream' }),
    );
    const [{ batches }] = await Promise.all([
      subscribeUntil(store, { categories: [category] }, (received) => received.length === 1, 5000),
      appending,
    ]);
    t.is(batches.length, 1, 'nothing is handed out before the first event');
    t.is(batches[0]!.events.length, 1);
  } finally {
    await drop();
  }
});

const databaseUrl = serviceUrl('DATABASE_URL', 'subscriptions across processes');

if (databaseUrl !== undefined) {
  // Serial tests run before the others: an embedded database starting in this process holds its thread for
  // seconds, and a connection being opened meanwhile would time out.
  /** A second connection pool to the test database: another process, as far as news of commits goes. */
  const otherProcess = async (url: string, body: (database: SqlDatabase) => Promise<void>): Promise<void> => {
    const database = openPostgres(url, { poolMax: 2 });
    try {
      await body(database);
    } finally {
      await database.close();
    }
  };

  test.serial('appends in another process wake a subscription through NOTIFY, sent after commit', async (t) => {
    const testDb = await serverTestDatabase(databaseUrl);
    try {
      const reader = new PostgresEventStore(testDb.database, { pollIntervalMs: NEVER_POLL_MS });
      const category = freshCategory();
      await otherProcess(testDb.url!, async (database) => {
        const writer = new PostgresEventStore(database, { pollIntervalMs: NEVER_POLL_MS });
        const appending = later(() => Promise.all(Array.from({ length: 30 }, () => writer.append(freshStream(category), newEvents(1), { expectedRevision: 'no_stream' }))));
        const [{ events }] = await Promise.all([subscribeUntil(reader, { categories: [category] }, (received) => received.length === 30, 10_000), appending]);
        t.is(events.length, 30, 'every commit of the burst arrived, though their notifications were merged');
      });
    } finally {
      await testDb.drop();
    }
  });

  test.serial('a subscription sleeps through appends in another process to categories it does not read', async (t) => {
    const testDb = await serverTestDatabase(databaseUrl);
    try {
      const reader = new PostgresEventStore(testDb.database, { pollIntervalMs: NEVER_POLL_MS });
      await otherProcess(testDb.url!, (database) => sleepsThroughOtherCategories(t, reader, new PostgresEventStore(database, { pollIntervalMs: NEVER_POLL_MS })));
    } finally {
      await testDb.drop();
    }
  });

  test.serial('a subscription that hears no news at all still delivers, by polling', async (t) => {
    const testDb = await serverTestDatabase(databaseUrl);
    try {
      let listened = 0;
      const deaf: SqlDatabase = {
        ...testDb.database,
        listen: async () => {
          listened++;
          return async () => undefined; // never calls back, as a dropped LISTEN connection would
        },
      };
      const reader = new PostgresEventStore(deaf, { pollIntervalMs: 50 });
      const category = freshCategory();
      await otherProcess(testDb.url!, async (database) => {
        const writer = new PostgresEventStore(database, { pollIntervalMs: NEVER_POLL_MS });
        await writer.append(freshStream(category), newEvents(1), { expectedRevision: 'no_stream' });
        let appended = false;
        const { events } = await subscribeUntil(
          reader,
          { categories: [category] },
          async (received, batches) => {
            if (!appended && batches.length > 0) {
              appended = true;
              await writer.append(freshStream(category), newEvents(3), { expectedRevision: 'no_stream' });
            }
            return received.length === 4;
          },
          5000,
        );
        t.true(appended, 'three more events were appended while subscribed');
        t.is(events.length, 4);
      });
      t.is(listened, 1);
    } finally {
      await testDb.drop();
    }
  });
}
