// A read model grows under the statements its projection prepared while it was small: a new deployment, or a
// rebuild from empty. Lookups of a batch's keys must go on using the indexes, not read the grown tables whole
// (PLAN_PER_RUN in infrastructure/db). Counted with PostgreSQL's own statistics of rows read per table.
import test from 'ava';
import { sql, type Kysely } from 'kysely';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import type { Schema } from '../../projections/schema.js';
import { serverTestDatabase } from '../support/databases.js';
import { metadata } from '../support/events.js';
import { serviceUrl } from '../support/services.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'lookups of a growing read model');

/** Enough events per batch that, on nearly empty tables, reading them whole is the cheaper plan. */
const PER_BATCH = 12;
/** More batches than PostgreSQL plans on its own before it keeps a generic plan (five). */
const SMALL_BATCHES = 8;
const GROWN_ROWS = 20_000;

let position = 0;
const submitted = (): RecordedEvent => {
  const feedbackId = uuidv7();
  position++;
  return {
    eventId: uuidv7(),
    type: 'FeedbackSubmitted',
    streamId: `feedback-${feedbackId}`,
    revision: 0,
    position: String(position),
    data: { feedbackId, text: 'The export button does nothing', rating: 2, channel: 'web', appVersion: null, customerId: null, submittedAt: new Date().toISOString() },
    metadata: { ...metadata, schema: 2 },
  };
};

/** Rows read from each table so far, by scans and through indexes, once the server has counted `inserted` feedback rows. */
async function rowsRead(db: Kysely<Schema>, inserted: number): Promise<Record<string, number>> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const { rows } = await sql<{ relname: string; read: string; inserted: string }>`
      select relname, (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::text as read, n_tup_ins::text as inserted
      from pg_stat_user_tables where relname in ('feedback', 'projection_streams')`.execute(db);
    await sql`select pg_stat_clear_snapshot()`.execute(db);
    if (Number(rows.find((row) => row.relname === 'feedback')?.inserted ?? 0) >= inserted) {
      return Object.fromEntries(rows.map((row) => [row.relname, Number(row.read)]));
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // a backend reports its counts when it goes idle, within a second
  }
  throw new Error(`the server never counted ${inserted} feedback rows`);
}

if (databaseUrl !== undefined) {
  test('a batch applied after the read model grew reads its rows through the indexes, not whole tables', async (t) => {
    t.timeout(120_000);
    // One connection: every batch runs on the one whose statements were prepared while the tables were small.
    const testDb = await serverTestDatabase(databaseUrl, { poolMax: 1 });
    try {
      const { db } = testDb.database;
      const store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
      const applier = new ProjectionApplier(db, store, feedbackProjection, pino({ level: 'silent' }), {
        maxAttempts: 2,
        retryMinMs: 1,
        retryMaxMs: 2,
        isTransient: () => false,
      });
      await applier.start();
      const signal = new AbortController().signal;
      const apply = async (): Promise<void> => {
        const events = Array.from({ length: PER_BATCH }, submitted);
        await applier.process(events, { kind: 'checkpoint', position: events[events.length - 1]!.position }, signal);
      };
      for (let batch = 0; batch < SMALL_BATCHES; batch++) await apply();

      // The read model grows without the projection's statements being planned again.
      await sql`
        insert into feedback (id, text, rating, channel, app_version, customer_id, status, revision, submitted_at, updated_at)
        select gen_random_uuid(), 'grown', 3, 'web', null, null, 'open', 0, now(), now() from generate_series(1, ${GROWN_ROWS})`.execute(db);
      await sql`
        insert into projection_streams (projection, stream_id, revision)
        select 'feedback', 'feedback-' || gen_random_uuid(), 0 from generate_series(1, ${GROWN_ROWS})`.execute(db);
      const grown = SMALL_BATCHES * PER_BATCH + GROWN_ROWS;
      const before = await rowsRead(db, grown);

      await apply();
      const after = await rowsRead(db, grown + PER_BATCH);
      const feedbackRead = after.feedback! - before.feedback!;
      const streamsRead = after.projection_streams! - before.projection_streams!;
      t.true(feedbackRead < 10 * PER_BATCH, `the batch read ${feedbackRead} feedback rows of ${grown + PER_BATCH}`);
      t.true(streamsRead < 10 * PER_BATCH, `the batch read ${streamsRead} projection_streams rows of ${grown + PER_BATCH}`);
      t.is(Number((await sql<{ n: string }>`select count(*)::text as n from feedback where text <> 'grown'`.execute(db)).rows[0]!.n), (SMALL_BATCHES + 1) * PER_BATCH);
    } finally {
      await testDb.drop();
    }
  });
}
