import test from 'ava';
import type { SqlDatabase } from '../../infrastructure/db/database.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { subscribeUntil } from './event-store-contract.js';
import { freshCategory, freshStream, newEvents } from '../support/events.js';

test('a subscription whose notifications are lost still delivers, by polling', async (t) => {
  const { database, drop } = await embeddedTestDatabase();
  try {
    let listened = 0;
    const deaf: SqlDatabase = {
      ...database,
      listen: async () => {
        listened++;
        return async () => undefined; // never calls back, as a dropped LISTEN connection would
      },
    };
    const store = new PostgresEventStore(deaf, { pollIntervalMs: 50 });
    const category = freshCategory();
    await store.append(freshStream(category), newEvents(1), { expectedRevision: 'no_stream' });
    let appended = false;
    const { events } = await subscribeUntil(store, { categories: [category] }, async (received, batches) => {
      if (!appended && batches.length > 0) {
        appended = true;
        await store.append(freshStream(category), newEvents(3), { expectedRevision: 'no_stream' });
      }
      return received.length === 4;
    }, 5000);
    t.true(appended, 'three more events were appended while subscribed');
    t.is(listened, 1);
    t.is(events.length, 4);
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
