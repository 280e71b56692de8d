// The triage enricher: one categorization per submission, poison parked as a dead letter while the rest goes on,
// an unavailable provider retried (never parked) and reported, and a parked event redelivered once fixed.
import test from 'ava';
import { pino } from 'pino';
import { AllProvidersFailed } from '../../application/ai/provider-chain.js';
import type { ChainedAnalysis } from '../../application/feedback/feedback-triage-task.js';
import { submitFeedback } from '../../application/feedback/feedback-commands.js';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { readCheckpoint } from '../../projections/checkpoints.js';
import { listDeadLetters, retryDeadLetter, type DeadLetter } from '../../projections/dead-letters.js';
import { EnricherConsumer } from '../../projections/enricher.js';
import { FEEDBACK_TRIAGE, feedbackTriage, type AnalyzeFeedback } from '../../projections/feedback/feedback-triage.js';
import { collect } from '../support/events.js';
import { embeddedTestDatabase, type TestDatabase } from '../support/databases.js';
import { upcasting } from '../support/upcasting.js';

const context = { correlationId: 'triage-test', causationId: null, actor: { sub: 'test', roles: [] } };
const answer: ChainedAnalysis = { category: 'bug', sentiment: 'negative', confidence: 0.8, provider: 'fake' };
let testDb: TestDatabase;
let store: EventStore;

test.before(async () => {
  testDb = await embeddedTestDatabase();
  store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
});
test.after.always(() => testDb?.drop());

function triageConsumer(analyze: AnalyzeFeedback, published: DeadLetter[] = []): EnricherConsumer {
  return new EnricherConsumer(testDb.database.db, feedbackTriage({ store, analyze, ids: uuidV7Ids, clock: systemClock, upcasting }), pino({ level: 'silent' }), {
    maxAttempts: 3,
    retryMinMs: 1,
    retryMaxMs: 5,
    isTransient: () => false,
    publishDeadLetter: async (letter) => void published.push(letter),
  });
}

async function submitted(text: string): Promise<RecordedEvent> {
  const { id } = await submitFeedback({ store, ids: uuidV7Ids, clock: systemClock, upcasting }, { text, rating: 2, channel: null, appVersion: null, customerId: null }, context);
  const [event] = await collect(store.readStream(`feedback-${id}`));
  return event!;
}

const typesOf = async (event: RecordedEvent) => (await collect(store.readStream(event.streamId))).map((e) => e.type);
const lettersOf = async (event: RecordedEvent) =>
  (await listDeadLetters(testDb.database.db, { consumer: FEEDBACK_TRIAGE, limit: 500 })).items.filter((letter) => letter.streamId === event.streamId);

test('triage appends one categorization per submission, however often the submission is delivered', async (t) => {
  const asked: string[] = [];
  let failuresLeft = 1;
  const triage = triageConsumer(async (text) => {
    asked.push(text);
    if (failuresLeft-- > 0) throw new Error('provider hiccup'); // retried, not skipped
    return answer;
  });
  const event = await submitted('Export fails');
  const signal = new AbortController().signal;
  await triage.process([event], { kind: 'checkpoint', position: event.position }, signal);
  await triage.process([event], { kind: 'checkpoint', position: event.position }, signal);

  const events = await collect(store.readStream(event.streamId));
  t.deepEqual(events.map((e) => e.type), ['FeedbackSubmitted', 'FeedbackCategorized']);
  const feedbackId = (event.data as { feedbackId: string }).feedbackId;
  t.like(events[1], {
    data: { feedbackId, category: 'bug', sentiment: 'negative', confidence: 0.8, provider: 'fake' },
    metadata: { correlationId: 'triage-test', causationId: event.eventId, actor: { sub: FEEDBACK_TRIAGE, roles: ['agent'] } },
  });
  t.is(events[1]!.eventId, uuidV7Ids.fromName(`${FEEDBACK_TRIAGE}:${event.eventId}`));
  t.deepEqual(asked, ['Export fails', 'Export fails'], 'one failed call and one answer; the redelivery asked nothing');
  t.is(await readCheckpoint(testDb.database.db, FEEDBACK_TRIAGE), event.position);
  t.deepEqual(await lettersOf(event), []);
});

test('a poison event is parked after the configured attempts, later feedback is categorized, and a retry applies it once fixed', async (t) => {
  let fixed = false;
  const asked: string[] = [];
  const analyze: AnalyzeFeedback = async (text) => {
    asked.push(text);
    // The fault a hostile test found: a word that made the local provider throw, every time.
    if (!fixed && text.includes('constructor')) throw new TypeError('expanded is not iterable');
    return answer;
  };
  const published: DeadLetter[] = [];
  const triage = triageConsumer(analyze, published);
  const poison = await submitted('The constructor page is broken');
  const later = await submitted('Search is slow');
  await triage.process([poison, later], { kind: 'checkpoint', position: later.position }, new AbortController().signal);

  t.deepEqual(await typesOf(poison), ['FeedbackSubmitted'], 'the poison got no categorization');
  t.deepEqual(await typesOf(later), ['FeedbackSubmitted', 'FeedbackCategorized'], 'feedback after it was categorized');
  t.is(asked.filter((text) => text.includes('constructor')).length, 3, 'tried maxAttempts times');
  t.is(await readCheckpoint(testDb.database.db, FEEDBACK_TRIAGE), later.position, 'the enricher went on');
  const [letter] = await lettersOf(poison);
  t.like(letter, { consumer: FEEDBACK_TRIAGE, eventId: poison.eventId, attempts: 3, status: 'open', error: 'TypeError: expanded is not iterable' });
  t.deepEqual(published.map((p) => [p.consumer, p.event.eventId]), [[FEEDBACK_TRIAGE, poison.eventId]]);
  t.false(triage.health.snapshot(60_000).stuck, 'parking is progress');

  const stillBroken = await t.throwsAsync(retryDeadLetter(testDb.database.db, [triage], letter!.id));
  t.is((stillBroken as { code?: string }).code, 'DLQ.RETRY_FAILED');
  fixed = true;
  const resolved = await retryDeadLetter(testDb.database.db, [triage], letter!.id);
  t.deepEqual(resolved.map((l) => [l.eventId, l.status]), [[poison.eventId, 'resolved']]);
  t.deepEqual(await typesOf(poison), ['FeedbackSubmitted', 'FeedbackCategorized']);
  // A second delivery of the same event (Kafka redelivers at least once) appends nothing more.
  await triage.process([poison], { kind: 'checkpoint', position: later.position }, new AbortController().signal);
  t.deepEqual(await typesOf(poison), ['FeedbackSubmitted', 'FeedbackCategorized']);
});

test('a redelivered poison event parks behind its own letter without another round of attempts, and keeps its error', async (t) => {
  let calls = 0;
  const triage = triageConsumer(async (text) => {
    calls++;
    if (text === 'poison') throw new RangeError('no');
    return answer;
  });
  const poison = await submitted('poison');
  await triage.process([poison], { kind: 'checkpoint', position: poison.position }, new AbortController().signal);
  t.is(calls, 3);
  await triage.process([poison], { kind: 'checkpoint', position: poison.position }, new AbortController().signal);
  t.is(calls, 3, 'no second round of attempts while its letter is open');
  const letters = await lettersOf(poison);
  t.is(letters.length, 1, 'one letter per event and consumer');
  t.like(letters[0], { error: 'RangeError: no', attempts: 3 }, 'the letter still says why it failed');
});

test('while every provider is unavailable the event is retried, never parked, and the enricher shows as failing', async (t) => {
  let unavailable = true;
  let calls = 0;
  const triage = triageConsumer(async () => {
    calls++;
    if (unavailable) throw new AllProvidersFailed([{ provider: 'gemini', reason: 'circuit open', unavailable: true, latencyMs: 0 }]);
    return answer;
  });
  const event = await submitted('Provider down');
  const processing = triage.process([event], { kind: 'checkpoint', position: event.position }, new AbortController().signal);
  while (calls < 10) await new Promise((resolve) => setTimeout(resolve, 5));
  t.like(triage.health.snapshot(60_000), { failures: calls, lastError: 'AllProvidersFailed: All AI providers failed: gemini: circuit open' });
  t.true(triage.health.snapshot(0).stuck, 'failing without progress: stuck once the configured time has passed');
  t.deepEqual(await lettersOf(event), [], 'unavailability is not the event’s fault: nothing parked past maxAttempts');
  unavailable = false;
  await processing;
  t.deepEqual(await typesOf(event), ['FeedbackSubmitted', 'FeedbackCategorized']);
  t.like(triage.health.snapshot(0), { stuck: false, failures: 0 });
});
