import test from 'ava';
import { pino } from 'pino';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import { submitFeedback, changeFeedbackStatus } from '../../application/feedback/feedback-commands.js';
import type { SqlDatabase } from '../../infrastructure/db/database.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import type { Projection } from '../../projections/projection.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import { DirectRunner } from '../../projections/direct-runner.js';
import { embeddedTestDatabase, type TestDatabase } from '../support/databases.js';

const silent = pino({ level: 'silent' });
const context = { correlationId: 'projection-test', causationId: null, actor: { sub: 'test', roles: [] } };

let testDb: TestDatabase;
let database: SqlDatabase;
let store: EventStore;

test.before(async () => {
  testDb = await embeddedTestDatabase();
  database = testDb.database;
  store = new PostgresEventStore(database, { pollIntervalMs: 50 });
});
test.after.always(() => testDb?.drop());

/** Runs a projection until it has caught up with the head of the log, then stops it. */
async function runUntilCaughtUp(projection: Projection): Promise<void> {
  const applier = new ProjectionApplier(database.db, store, projection, silent, {
    maxAttempts: 5,
    retryMinMs: 10,
    retryMaxMs: 50,
    isTransient: () => false,
  });
  const runner = new DirectRunner(store, applier, silent, 7);
  const controller = new AbortController();
  const running = runner.run(controller.signal);
  const head = await store.headPosition();
  for (let attempt = 0; head !== null && attempt < 2000; attempt++) {
    const checkpoint = await applier.resumeFrom();
    if (checkpoint !== null && store.comparePositions(checkpoint, head) >= 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  controller.abort();
  await running;
}

/** The projection, counting the events it is handed. */
function counting(projection: Projection): { projection: Projection; applied: RecordedEvent[] } {
  const applied: RecordedEvent[] = [];
  return {
    applied,
    projection: { ...projection, apply: (tx, events) => ((applied.push(...events), projection.apply(tx, events))) },
  };
}

const snapshot = async () => ({
  feedback: await database.db.selectFrom('feedback').selectAll().orderBy('id').execute(),
  streams: await database.db.selectFrom('projection_streams').selectAll().orderBy('stream_id').execute(),
});

test.serial('a redelivered log changes no row: the runner skips what each stream has applied', async (t) => {
  const deps = { store, ids: uuidV7Ids, clock: systemClock };
  const submitted = [];
  for (let n = 0; n < 20; n++) submitted.push(await submitFeedback(deps, { text: `feedback ${n}`, rating: (n % 5) + 1, source: null, customerId: null }, context));
  for (const { id } of submitted.slice(0, 10)) await changeFeedbackStatus(deps, id, { status: 'resolved', note: 'fixed' }, context);
  for (const { id } of submitted.slice(0, 5)) await changeFeedbackStatus(deps, id, { status: 'closed', note: null }, context);

  const first = counting(feedbackProjection);
  await runUntilCaughtUp(first.projection);
  t.is(first.applied.length, 35);
  const before = await snapshot();
  t.is(before.feedback.length, 20);
  t.is(before.feedback.filter((row) => row.status === 'closed').length, 5);

  // Deliver the whole log again, as a lost checkpoint or a broker replay would.
  await database.db.updateTable('projections').set({ checkpoint: null }).where('name', '=', 'feedback').execute();
  const second = counting(feedbackProjection);
  await runUntilCaughtUp(second.projection);
  t.is(second.applied.length, 0, 'nothing reaches the projection twice');
  t.deepEqual(await snapshot(), before);
});

test.serial('applying the same events twice leaves the rows as they were', async (t) => {
  const events = await (async () => {
    const all: RecordedEvent[] = [];
    for await (const event of store.readAll({ categories: ['feedback'] })) all.push(event);
    return all;
  })();
  const before = await snapshot();
  await database.db.transaction().execute((tx) => feedbackProjection.apply(tx, events));
  t.deepEqual(await snapshot(), before);
  // A lone old event replayed after newer ones must not roll a row back either.
  const oldest = events.find((event) => event.type === 'FeedbackSubmitted')!;
  await database.db.transaction().execute((tx) => feedbackProjection.apply(tx, [oldest]));
  t.deepEqual(await snapshot(), before);
});

test.serial('a failing batch leaves no trace, records its error, and is applied once it succeeds', async (t) => {
  const deps = { store, ids: uuidV7Ids, clock: systemClock };
  await submitFeedback(deps, { text: 'one more', rating: null, source: 'test', customerId: null }, context);
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
  const watcher = setInterval(() => {
    void database.db
      .selectFrom('projections')
      .select(['last_error', (eb) => eb.selectFrom('feedback').select(eb.fn.countAll<string>().as('n')).where('text', '=', 'one more').as('rows')])
      .where('name', '=', 'feedback')
      .executeTakeFirst()
      .then((row) => samples.push({ error: row?.last_error ?? null, rows: Number(row?.rows ?? 0) }));
  }, 5);
  await runUntilCaughtUp(flaky);
  clearInterval(watcher);
  t.is(failures, 3);
  const whileFailing = samples.filter((sample) => sample.error === 'read model unavailable');
  t.true(whileFailing.length > 0, 'the error was recorded while it lasted');
  t.true(whileFailing.every((sample) => sample.rows === 0), 'the failed attempts wrote nothing that stayed');
  const status = await database.db.selectFrom('projections').selectAll().where('name', '=', 'feedback').executeTakeFirstOrThrow();
  t.is(status.last_error, null, 'cleared by the batch that succeeded');
  const rows = await database.db.selectFrom('feedback').selectAll().where('text', '=', 'one more').execute();
  t.is(rows.length, 1);
});
