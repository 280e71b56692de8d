// Chorus's side of the event store benchmarks: PostgresEventStore on a fresh database, and the feedback
// projection caught up through ProjectionApplier and the in-process bus, as a single process on PostgreSQL runs it.
import { pino } from 'pino';
import { upcastingEventStore } from '../../application/eventstore/upcasting.js';
import { DEFAULT_PROJECTION_BATCH_SIZE } from '../../infrastructure/config.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { InProcessBus } from '../../infrastructure/bus/inprocess/inprocess-bus.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import type { TestDatabase } from '../support/databases.js';
import { upcasting } from '../support/upcasting.js';
import type { StoreUnderTest } from './store-under-test.js';

/** What a deployment on a PostgreSQL server runs with by default. */
const PROJECTION_BATCH_SIZE = DEFAULT_PROJECTION_BATCH_SIZE.postgres;

export function chorusStore(testDb: TestDatabase): StoreUnderTest {
  const store = upcastingEventStore(new PostgresEventStore(testDb.database, { pollIntervalMs: 50 }), upcasting);
  const { db } = testDb.database;
  return {
    name: 'Chorus',
    async append(streamId, events, expected) {
      const expectedRevision = expected === 'no_stream' ? 'no_stream' : Number(expected.next);
      const { nextRevision } = await store.append(streamId, events, { expectedRevision });
      return { next: BigInt(nextRevision) };
    },
    async readAll() {
      let read = 0;
      for await (const _ of store.readAll()) read++;
      return read;
    },
    async catchUpFeedback(deadline) {
      // From empty: the rows, the running totals and what the applier remembers of earlier rounds.
      await db.deleteFrom('feedback').execute();
      await db.deleteFrom('feedback_counts').execute();
      await db.deleteFrom('projection_streams').where('projection', '=', feedbackProjection.name).execute();
      await db.deleteFrom('projections').where('name', '=', feedbackProjection.name).execute();
      const head = await store.headPosition();
      if (head === null) return 0;
      const logger = pino({ level: 'silent' });
      const applier = new ProjectionApplier(db, store, feedbackProjection, logger, {
        maxAttempts: 3,
        retryMinMs: 10,
        retryMaxMs: 100,
        isTransient: () => false,
      });
      const controller = new AbortController();
      let failure: unknown;
      const running = new InProcessBus(store, logger, PROJECTION_BATCH_SIZE).run(applier, controller.signal).catch((error: unknown) => {
        failure = error;
      });
      let checkpoint: string | null = null;
      try {
        while (checkpoint === null || store.comparePositions(checkpoint, head) < 0) {
          if (failure !== undefined) throw failure;
          if (performance.now() > deadline) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
          checkpoint = await applier.resumeFrom();
        }
      } finally {
        controller.abort();
        await running;
      }
      const total = await store.countEvents();
      return checkpoint === null ? 0 : total - (await store.countEvents({ from: checkpoint }));
    },
    close: () => testDb.drop(),
  };
}
