import test from 'ava';
import { pino } from 'pino';
import { changeFeedbackStatus, submitFeedback } from '../../application/feedback/feedback-commands.js';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { discardDeadLetter, listDeadLetters, retryDeadLetter, type DeadLetter } from '../../projections/dead-letters.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import { getFeedback } from '../../projections/feedback/feedback-queries.js';
import type { Projection } from '../../projections/projection.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import { InProcessBus } from '../../infrastructure/bus/inprocess/inprocess-bus.js';
import { collect } from '../support/events.js';
import { embeddedTestDatabase, type TestDatabase } from '../support/databases.js';
import { upcasting } from '../support/upcasting.js';

const context = { correlationId: 'dlq-test', causationId: null, actor: { sub: 'test', roles: [] } };
const silent = pino({ level: 'silent' });
let testDb: TestDatabase;
let store: EventStore;

test.before(async () => {
  testDb = await embeddedTestDatabase();
  store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
});
test.after.always(() => testDb?.drop());

/** The feedback projection with a defect, its own per test: it fails on status notes that say "poison" while `broken` is set. */
function defective(): { projection: Projection; fix(): void } {
  let broken = true;
  return {
    projection: {
      ...feedbackProjection,
      async apply(tx, events) {
        if (broken && events.some((e) => (e.data as { note?: string }).note === 'poison')) throw new TypeError('cannot read the note');
        await feedbackProjection.apply(tx, events);
      },
    },
    fix: () => void (broken = false),
  };
}

const applierOf = (projection: Projection, published: DeadLetter[] = []) =>
  new ProjectionApplier(testDb.database.db, store, projection, silent, {
    maxAttempts: 3,
    retryMinMs: 5,
    retryMaxMs: 20,
    isTransient: () => false,
    publishDeadLetter: async (letter) => void published.push(letter),
  });

const lettersOf = async (streamId: string) =>
  (await listDeadLetters(testDb.database.db, { status: 'open', limit: 500 })).items.filter((letter) => letter.streamId === streamId);

test.serial("an event that keeps failing is parked with its stream's later events; the rest goes on; retry applies them once fixed", async (t) => {
  const deps = { store, ids: uuidV7Ids, clock: systemClock, upcasting };
  const sick = await submitFeedback(deps, { text: 'sick stream', rating: 1, channel: null, appVersion: null, customerId: null }, context);
  await changeFeedbackStatus(deps, sick.id, { status: 'in_progress', note: 'poison' }, context);
  await changeFeedbackStatus(deps, sick.id, { status: 'resolved', note: 'fixed' }, context);
  const healthy = await submitFeedback(deps, { text: 'healthy stream', rating: 5, channel: null, appVersion: null, customerId: null }, context);

  const { projection, fix } = defective();
  const published: DeadLetter[] = [];
  const applier = applierOf(projection, published);
  const controller = new AbortController();
  const running = new InProcessBus(store, silent, 50).run(applier, controller.signal);
  const head = (await store.headPosition())!;
  while ((await applier.resumeFrom()) !== head) await new Promise((resolve) => setTimeout(resolve, 10));
  controller.abort();
  await running;

  t.like(await getFeedback(testDb.database.db, healthy.id), { status: 'open' }, 'the projection went on past the failure');
  t.like(await getFeedback(testDb.database.db, sick.id), { status: 'open', revision: 0 }, 'the sick stream stopped before the poison');
  const items = await lettersOf(`feedback-${sick.id}`);
  t.deepEqual(
    items.map((letter) => [letter.consumer, letter.revision, letter.attempts, letter.type]),
    [
      ['projection.feedback', 1, 3, 'FeedbackStatusChanged'],
      ['projection.feedback', 2, 0, 'FeedbackStatusChanged'],
    ],
  );
  t.is(items[0]!.error, 'TypeError: cannot read the note');
  t.regex(items[1]!.error, /Parked behind/);
  t.deepEqual(
    published.map((letter) => [letter.consumer, letter.event.revision]),
    [['projection.feedback', 1]],
    'the failure was announced; the parked event was not, it never failed',
  );

  const notFirst = await t.throwsAsync(retryDeadLetter(testDb.database.db, [applier], items[1]!.id));
  t.is((notFirst as { code?: string }).code, 'DLQ.NOT_FIRST');
  const stillBroken = await t.throwsAsync(retryDeadLetter(testDb.database.db, [applier], items[0]!.id));
  t.is((stillBroken as { code?: string }).code, 'DLQ.RETRY_FAILED');
  t.like((await lettersOf(`feedback-${sick.id}`))[0], { attempts: 4, status: 'open' });
  const unknownConsumer = await t.throwsAsync(retryDeadLetter(testDb.database.db, [], items[0]!.id));
  t.is((unknownConsumer as { code?: string }).code, 'DLQ.UNKNOWN_CONSUMER');

  fix();
  const resolved = await retryDeadLetter(testDb.database.db, [applier], items[0]!.id);
  t.deepEqual(resolved.map((letter) => [letter.revision, letter.status]), [
    [1, 'resolved'],
    [2, 'resolved'],
  ]);
  t.like(await getFeedback(testDb.database.db, sick.id), { status: 'resolved', note: 'fixed', revision: 2 });
  t.deepEqual(await lettersOf(`feedback-${sick.id}`), []);
  const again = await t.throwsAsync(retryDeadLetter(testDb.database.db, [applier], items[0]!.id));
  t.is((again as { code?: string }).code, 'DLQ.NOT_OPEN');
});

test.serial('a retry that fails on the database records a code, never the database message', async (t) => {
  const deps = { store, ids: uuidV7Ids, clock: systemClock, upcasting };
  const sick = await submitFeedback(deps, { text: 'constraint trouble', rating: 2, channel: null, appVersion: null, customerId: null }, context);
  await changeFeedbackStatus(deps, sick.id, { status: 'in_progress', note: 'poison' }, context);
  const { projection } = defective();
  const applier = applierOf(projection);
  const events = await collect(store.readStream(`feedback-${sick.id}`));
  await applier.start(); // what the bus does before the first batch: registers the projection
  await applier.process(events, { kind: 'checkpoint', position: events[1]!.position }, new AbortController().signal);
  const [letter] = await lettersOf(`feedback-${sick.id}`);
  // A projection whose SQL violates a constraint: PostgreSQL's message would name the table and the values.
  const violating: Projection = {
    ...feedbackProjection,
    async apply(tx) {
      await tx.insertInto('projection_streams').values({ projection: 'x', stream_id: 'secret-value', revision: 1 }).execute();
      await tx.insertInto('projection_streams').values({ projection: 'x', stream_id: 'secret-value', revision: 2 }).execute();
    },
  };
  const failure = await t.throwsAsync(retryDeadLetter(testDb.database.db, [applierOf(violating)], letter!.id));
  t.is((failure as { code?: string }).code, 'DLQ.RETRY_FAILED');
  t.is(failure.message, `Dead letter ${letter!.id} failed again: database error 23505`);
  const [after] = await lettersOf(`feedback-${sick.id}`);
  t.is(after!.error, 'database error 23505');
  t.notRegex(JSON.stringify(after), /secret-value|projection_streams/);
});

test.serial('discarding a letter closes it; unknown letters are not found', async (t) => {
  const deps = { store, ids: uuidV7Ids, clock: systemClock, upcasting };
  const sick = await submitFeedback(deps, { text: 'to discard', rating: null, channel: null, appVersion: null, customerId: null }, context);
  await changeFeedbackStatus(deps, sick.id, { status: 'closed', note: 'poison' }, context);
  const applier = new ProjectionApplier(testDb.database.db, store, defective().projection, silent, {
    maxAttempts: 1,
    retryMinMs: 1,
    retryMaxMs: 1,
    isTransient: () => false,
  });
  const events: RecordedEvent[] = await collect(store.readStream(`feedback-${sick.id}`));
  await applier.start();
  await applier.process(events, { kind: 'checkpoint', position: events[1]!.position }, new AbortController().signal);
  const [letter] = await lettersOf(`feedback-${sick.id}`);
  t.is(letter!.streamId, `feedback-${sick.id}`);
  t.like(await discardDeadLetter(testDb.database.db, letter!.id), { status: 'discarded' });
  t.is(((await t.throwsAsync(discardDeadLetter(testDb.database.db, letter!.id))) as { code?: string }).code, 'DLQ.NOT_OPEN');
  t.is(((await t.throwsAsync(discardDeadLetter(testDb.database.db, '999999'))) as { code?: string }).code, 'DLQ.NOT_FOUND');
  t.is(((await t.throwsAsync(discardDeadLetter(testDb.database.db, 'x;drop'))) as { code?: string }).code, 'DLQ.NOT_FOUND');
});
