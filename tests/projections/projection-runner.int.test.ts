// The feedback projection and its runner. Each test opens a log and a read model of its own (an in-memory
// database), so what one test writes can neither help nor hurt another, whatever the order or selection.
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import { submitFeedback, changeFeedbackStatus } from '../../application/feedback/feedback-commands.js';
import { feedbackStreamId } from '../../domain/feedback/events.js';
import type { SqlDatabase } from '../../infrastructure/db/database.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import type { Projection } from '../../projections/projection.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import { InProcessBus } from '../../infrastructure/bus/inprocess/inprocess-bus.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { collect, metadata } from '../support/events.js';
import { upcasting } from '../support/upcasting.js';

const silent = pino({ level: 'silent' });
const context = { correlationId: 'projection-test', causationId: null, actor: { sub: 'test', roles: [] } };

/** Every row the feedback projection writes, and the revisions its runner recorded. */
const readModel = async (database: SqlDatabase) => ({
  feedback: await database.db.selectFrom('feedback').selectAll().orderBy('id').execute(),
  counts: await database.db.selectFrom('feedback_counts').selectAll().orderBy('dimension').orderBy('key').execute(),
  streams: await database.db.selectFrom('projection_streams').selectAll().orderBy('stream_id').execute(),
});
type Snapshot = Awaited<ReturnType<typeof readModel>>;

type Log = Readonly<{
  database: SqlDatabase;
  store: EventStore;
  deps: Parameters<typeof submitFeedback>[0];
  /** Runs a projection until it has caught up with the head of the log, then stops it. */
  runUntilCaughtUp(projection: Projection): Promise<void>;
  /** Every row the feedback projection writes, and the revisions its runner recorded. */
  snapshot(): Promise<Snapshot>;
  /** Applies events to the feedback projection in one transaction, as a runner would hand them over. */
  apply(events: readonly RecordedEvent[]): Promise<void>;
  /** Every feedback event in the log. */
  feedbackEvents(): Promise<RecordedEvent[]>;
}>;

/** A test with an empty log and read model of its own. Serial: the failing-batch test samples timings. */
const withLog = (title: string, body: (t: ExecutionContext, log: Log) => Promise<void>) =>
  test.serial(title, async (t) => {
    const testDb = await embeddedTestDatabase();
    try {
      const { database } = testDb;
      const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      const log: Log = {
        database,
        store,
        deps: { store, ids: uuidV7Ids, clock: systemClock, upcasting },
        async runUntilCaughtUp(projection) {
          const applier = new ProjectionApplier(database.db, store, projection, silent, {
            maxAttempts: 5,
            retryMinMs: 10,
            retryMaxMs: 50,
            isTransient: () => false,
          });
          const controller = new AbortController();
          const running = new InProcessBus(store, silent, 7).run(applier, controller.signal);
          const head = await store.headPosition();
          let caughtUp = head === null;
          for (let attempt = 0; !caughtUp && attempt < 2000; attempt++) {
            const checkpoint = await applier.resumeFrom();
            caughtUp = checkpoint !== null && store.comparePositions(checkpoint, head!) >= 0;
            if (!caughtUp) await new Promise((resolve) => setTimeout(resolve, 10));
          }
          controller.abort();
          await running;
          if (!caughtUp) throw new Error(`${projection.name} never caught up with ${head}`);
        },
        snapshot: () => readModel(database),
        apply: (events) => database.db.transaction().execute((tx) => feedbackProjection.apply(tx, events)),
        feedbackEvents: () => collect(store.readAll({ categories: ['feedback'] })),
      };
      await body(t, log);
    } finally {
      await testDb.drop();
    }
  });

/** The projection, counting the events it is handed. */
function counting(projection: Projection): { projection: Projection; applied: RecordedEvent[] } {
  const applied: RecordedEvent[] = [];
  return {
    applied,
    projection: { ...projection, apply: (tx, events) => ((applied.push(...events), projection.apply(tx, events))) },
  };
}

const countOf = (snapshot: Snapshot, dimension: string, key: string): number | undefined => {
  const row = snapshot.counts.find((count) => count.dimension === dimension && count.key === key);
  return row === undefined ? undefined : Number(row.count);
};

withLog('a redelivered log changes no row: the runner skips what each stream has applied', async (t, { deps, database, runUntilCaughtUp, snapshot }) => {
  const submitted = [];
  for (let n = 0; n < 20; n++) submitted.push(await submitFeedback(deps, { text: `feedback ${n}`, rating: (n % 5) + 1, channel: null, appVersion: null, customerId: null }, context));
  for (const { id } of submitted.slice(0, 10)) await changeFeedbackStatus(deps, id, { status: 'resolved', note: 'fixed' }, context);
  for (const { id } of submitted.slice(0, 5)) await changeFeedbackStatus(deps, id, { status: 'closed', note: null }, context);

  const first = counting(feedbackProjection);
  await runUntilCaughtUp(first.projection);
  t.is(first.applied.length, 35);
  const before = await snapshot();
  t.is(before.feedback.length, 20);
  t.is(before.feedback.filter((row) => row.status === 'closed').length, 5);
  t.is(countOf(before, 'status', 'closed'), 5);

  // Deliver the whole log again, as a lost checkpoint or a broker replay would.
  await database.db.updateTable('projections').set({ checkpoint: null }).where('name', '=', 'feedback').execute();
  const second = counting(feedbackProjection);
  await runUntilCaughtUp(second.projection);
  t.is(second.applied.length, 0, 'nothing reaches the projection twice');
  t.deepEqual(await snapshot(), before);
});

withLog('applying the same events twice leaves the rows as they were', async (t, { deps, store, apply, feedbackEvents, snapshot }) => {
  const [resolved, closed, categorized] = [
    await submitFeedback(deps, { text: 'resolved later', rating: 2, channel: null, appVersion: null, customerId: null }, context),
    await submitFeedback(deps, { text: 'closed later', rating: null, channel: 'web', appVersion: null, customerId: null }, context),
    await submitFeedback(deps, { text: 'The app crashes', rating: 1, channel: null, appVersion: null, customerId: null }, context),
  ];
  await changeFeedbackStatus(deps, resolved!.id, { status: 'resolved', note: 'fixed' }, context);
  await changeFeedbackStatus(deps, closed!.id, { status: 'closed', note: null }, context);
  await store.append(
    feedbackStreamId(categorized!.id),
    [{ eventId: uuidv7(), type: 'FeedbackCategorized', data: { feedbackId: categorized!.id, category: 'crash', sentiment: 'negative', confidence: 0.9, provider: 'local' }, metadata }],
    { expectedRevision: 0 },
  );
  const events = await feedbackEvents();
  t.is(events.length, 6);
  await apply(events);
  const once = await snapshot();
  t.is(once.feedback.length, 3, 'the first application wrote every row');
  t.is(countOf(once, 'status', 'closed'), 1);
  t.is(countOf(once, 'status', 'open'), 1);
  t.is(countOf(once, 'category', 'crash'), 1);

  await apply(events);
  t.deepEqual(await snapshot(), once);
  // A lone old event replayed after newer ones must not roll a row back either.
  const oldest = events.find((event) => event.type === 'FeedbackSubmitted' && (event.data as { feedbackId: string }).feedbackId === closed!.id)!;
  await apply([oldest]);
  t.deepEqual(await snapshot(), once);
});

withLog('an empty batch is a no-op', async (t, { deps, apply, feedbackEvents, snapshot }) => {
  await apply([]);
  t.deepEqual(await snapshot(), { feedback: [], counts: [], streams: [] }, 'on an empty read model');
  await submitFeedback(deps, { text: 'already there', rating: 3, channel: null, appVersion: null, customerId: null }, context);
  await apply(await feedbackEvents());
  const before = await snapshot();
  t.is(before.feedback.length, 1);
  await apply([]);
  t.deepEqual(await snapshot(), before, 'beside existing rows');
});

withLog('a failing batch leaves no trace, records its error, and is applied once it succeeds', async (t, { deps, database, runUntilCaughtUp }) => {
  await submitFeedback(deps, { text: 'one more', rating: null, channel: 'test', appVersion: null, customerId: null }, context);
  let failures = 0;
  const flaky: Projection = {
    ...feedbackProjection,
    async apply(tx, events) {
      await feedbackProjection.apply(tx, events); // writes rows, which the failure must roll back
      if (failures++ < 2) throw new Error('read model unavailable');
    },
  };
  // Samples of what a reader sees while the runner retries: the recorded error, and whether the row exists.
  const samples: { error: string | null; rows: number }[] = [];
  const sampling: Promise<void>[] = [];
  const watcher = setInterval(() => {
    sampling.push(
      database.db
        .selectFrom('projections')
        .select(['last_error', (eb) => eb.selectFrom('feedback').select(eb.fn.countAll<string>().as('n')).where('text', '=', 'one more').as('rows')])
        .where('name', '=', 'feedback')
        .executeTakeFirst()
        .then((row) => void samples.push({ error: row?.last_error ?? null, rows: Number(row?.rows ?? 0) })),
    );
  }, 5);
  try {
    await runUntilCaughtUp(flaky);
  } finally {
    clearInterval(watcher);
    await Promise.all(sampling);
  }
  t.is(failures, 3);
  const whileFailing = samples.filter((sample) => sample.error === 'read model unavailable');
  t.true(whileFailing.length > 0, 'the error was recorded while it lasted');
  t.true(whileFailing.every((sample) => sample.rows === 0), 'the failed attempts wrote nothing that stayed');
  const status = await database.db.selectFrom('projections').selectAll().where('name', '=', 'feedback').executeTakeFirstOrThrow();
  t.is(status.last_error, null, 'cleared by the batch that succeeded');
  const rows = await database.db.selectFrom('feedback').selectAll().where('text', '=', 'one more').execute();
  t.is(rows.length, 1);
});
