// The applied-position shortcut on a PostgreSQL server, where an older transaction can hold later commits back from
// readers. A file of its own: its migrations' transaction must not wait behind embedded databases' CPU-bound work
// in the same process, since an open transaction anywhere on the server holds every database's readers back.
import test from 'ava';
import pg from 'pg';
import { pino } from 'pino';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import { appliedCheckpoint } from '../../projections/projection-status.js';
import { serverTestDatabase } from '../support/databases.js';
import { newEvent } from '../support/events.js';
import { notesProjection } from '../support/notes-projection.js';
import { serviceUrl } from '../support/services.js';

const notes = notesProjection;

const databaseUrl = serviceUrl('DATABASE_URL', 'applied position against an open transaction on PostgreSQL');
if (databaseUrl !== undefined) {
  // The count of events between sees only readable ones; an older transaction ending between it and the head's read
  // must not let a write of the projection's category, readable only since, pass as applied.
  test('PostgreSQL: a write that becomes readable after the count is not taken as applied', async (t) => {
    const testDb = await serverTestDatabase(databaseUrl);
    const blocker = new pg.Client({ connectionString: testDb.url });
    try {
      const store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
      const first = (await store.append('note-1', [newEvent('Noted')], { expectedRevision: 'any' })).position;
      const applier = new ProjectionApplier(testDb.database.db, store, notes, pino({ level: 'silent' }), { maxAttempts: 1, retryMinMs: 1, retryMaxMs: 1, isTransient: () => false });
      await applier.start();
      await applier.process([], { kind: 'checkpoint', position: first }, new AbortController().signal);
      await blocker.connect();
      await blocker.query('begin');
      await blocker.query('select pg_current_xact_id()'); // an older transaction, open: later commits are not readable yet
      const mine = (await store.append('note-2', [newEvent('Noted')], { expectedRevision: 'any' })).position;
      let counts = 0;
      const racing: typeof store = Object.create(store, {
        countEvents: {
          value: async (options: Parameters<typeof store.countEvents>[0]) => {
            const count = await store.countEvents(options);
            if (counts++ === 0) await blocker.query('commit'); // it ends right after the first count
            return count;
          },
        },
      });
      // Other tests' transactions on the server may hold the head back too; either way the write is not applied.
      t.is(await appliedCheckpoint(racing)(testDb.database.db, notes, mine), first);
      t.true(counts >= 1, 'the older transaction ended after the first count');
    } finally {
      await blocker.end().catch(() => undefined);
      await testDb.drop();
    }
  });
}
