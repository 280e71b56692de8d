// The drafts-dfn enricher on an embedded store: one DfnGenerated per DraftIngested however often it is delivered
// (a redelivery asks no provider), retrieval of the speaker's pairs through the read model, the local provider's
// note and model, and a draft that keeps failing parked as a dead letter that a retry replays.
import test from 'ava';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { ProviderChain } from '../../application/ai/provider-chain.js';
import { generateFinalNote, type FinalNoteInput } from '../../application/drafts/final-note-task.js';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import { draftStreamId, speakerStreamId, type DfnGenerated } from '../../domain/drafts/events.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { LOCAL_FINAL_NOTE_MODEL } from '../../infrastructure/ai/local/draft-corrections.js';
import { LocalAiProvider } from '../../infrastructure/ai/local/local-ai-provider.js';
import { localTasks } from '../../infrastructure/ai/local/local-tasks.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { listDeadLetters, retryDeadLetter } from '../../projections/dead-letters.js';
import { DRAFTS_DFN, draftsDfn, type GenerateFinalNote } from '../../projections/drafts/dfn-enricher.js';
import { FullTextRetriever } from '../../projections/drafts/full-text-retriever.js';
import { draftsRetrievalProjection } from '../../projections/drafts/retrieval-projection.js';
import { EnricherConsumer } from '../../projections/enricher.js';
import { appliedEverything, collect } from '../support/events.js';
import { embeddedTestDatabase, type TestDatabase } from '../support/databases.js';
import { upcasting } from '../support/upcasting.js';
import { appendSpeaker, appendTo, draftIngested, finalNoteRecorded } from './dfn-events.js';

let testDb: TestDatabase;
let store: EventStore;

test.before(async () => {
  testDb = await embeddedTestDatabase();
  store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
});
test.after.always(() => testDb?.drop());

const localChain = new ProviderChain([new LocalAiProvider(localTasks)], { clock: systemClock, timeoutMs: 10_000, failureThreshold: 3, openMs: 1_000 });
const local: GenerateFinalNote = (input, signal) => generateFinalNote(localChain, input, signal);

function dfnConsumer(generate: GenerateFinalNote): { consumer: EnricherConsumer; enricher: ReturnType<typeof draftsDfn> } {
  const enricher = draftsDfn({ store, ids: uuidV7Ids, clock: systemClock, upcasting, db: testDb.database.db, appliedPosition: appliedEverything(store), retriever: new FullTextRetriever(testDb.database.db), generate });
  const consumer = new EnricherConsumer(testDb.database.db, enricher, pino({ level: 'silent' }), { maxAttempts: 2, retryMinMs: 1, retryMaxMs: 5, isTransient: () => false });
  return { consumer, enricher };
}

/** A speaker with past pairs, in the store and (as the projector would have it) in the retrieval read model. */
async function speakerWithPairs(pairs: readonly (readonly [string, string])[]): Promise<{ speakerId: string; pastDraftIds: string[] }> {
  const speakerId = uuidv7();
  await appendSpeaker(store, speakerId, `cardiology-${speakerId}`);
  const pastDraftIds: string[] = [];
  for (const [draft, note] of pairs) {
    const draftId = uuidv7();
    pastDraftIds.push(draftId);
    await appendTo(store, draftStreamId(draftId), draftIngested(draftId, speakerId, draft), finalNoteRecorded(draftId, speakerId, note));
  }
  const streams = [speakerStreamId(speakerId), ...pastDraftIds.map(draftStreamId)];
  const events = (await Promise.all(streams.map((stream) => collect(store.readStream(stream))))).flat();
  await testDb.database.db.transaction().execute((tx) => draftsRetrievalProjection.apply(tx, events));
  return { speakerId, pastDraftIds };
}

async function ingest(speakerId: string, text: string): Promise<RecordedEvent> {
  const draftId = uuidv7();
  await appendTo(store, draftStreamId(draftId), draftIngested(draftId, speakerId, text));
  const [event] = await collect(store.readStream(draftStreamId(draftId)));
  return event!;
}

const PAIRS = [
  ['history of hyper tension period new paragraph plan rest period', 'History of hypertension.\n\nPlan rest.'],
  ['known hyper tension um on treatment period new paragraph review in a month period', 'Known hypertension on treatment.\n\nReview in a month.'],
  ['um hyper tension controlled period', 'Hypertension controlled.'],
] as const;

const signal = () => new AbortController().signal;

test('a draft gets one DFN, learned from the speaker\'s pairs, however often it is delivered', async (t) => {
  const { speakerId, pastDraftIds } = await speakerWithPairs(PAIRS);
  const inputs: FinalNoteInput[] = [];
  const { consumer } = dfnConsumer(async (input, s) => {
    inputs.push(input);
    return local(input, s);
  });
  const ingested = await ingest(speakerId, 'um severe hyper tension period new paragraph plan review period');
  await consumer.process([ingested], { kind: 'checkpoint', position: ingested.position }, signal());
  await consumer.process([ingested], { kind: 'checkpoint', position: ingested.position }, signal());

  const events = await collect(store.readStream(ingested.streamId));
  t.deepEqual(events.map((event) => event.type), ['DraftIngested', 'DfnGenerated']);
  const generated = events[1] as unknown as RecordedEvent<DfnGenerated['data']>;
  const { draftId } = ingested.data as { draftId: string };
  t.like(generated.data, { draftId, speakerId, text: 'Severe hypertension.\n\nPlan review.', provider: 'local', model: LOCAL_FINAL_NOTE_MODEL });
  t.deepEqual([...generated.data.retrieved].sort(), [...pastDraftIds].sort());
  t.true(Number.isInteger(generated.data.latencyMs) && generated.data.latencyMs >= 0);
  t.is(generated.eventId, uuidV7Ids.fromName(`${DRAFTS_DFN}:${ingested.eventId}`));
  t.like(generated.metadata, { causationId: ingested.eventId, actor: { sub: DRAFTS_DFN, roles: ['agent'] } });
  t.is(inputs.length, 1, 'the redelivery asked no provider');
  t.is(inputs[0]!.examples.length, 3);
});

test('a redelivered DraftIngested is known as enriched before any provider is asked, by a fresh enricher too', async (t) => {
  const { speakerId } = await speakerWithPairs(PAIRS);
  const ingested = await ingest(speakerId, 'hyper tension period');
  await dfnConsumer(local).consumer.process([ingested], { kind: 'checkpoint', position: ingested.position }, signal());
  let asked = 0;
  const { consumer, enricher } = dfnConsumer(async () => {
    asked++;
    throw new Error('must not be asked');
  });
  const other = await ingest(speakerId, 'not yet enriched');
  t.deepEqual([...(await enricher.enrichedAlready([ingested, other]))], [ingested.eventId]);
  await consumer.process([ingested], { kind: 'checkpoint', position: ingested.position }, signal());
  t.is(asked, 0);
  t.deepEqual((await collect(store.readStream(ingested.streamId))).map((event) => event.type), ['DraftIngested', 'DfnGenerated']);
  t.deepEqual(await listDeadLetters(testDb.database.db, { consumer: DRAFTS_DFN, limit: 500 }).then((page) => page.items.filter((l) => l.streamId === ingested.streamId)), []);
});

test('a draft whose DFN keeps failing is parked, and a retry generates it once', async (t) => {
  const { speakerId } = await speakerWithPairs(PAIRS);
  let broken = true;
  const { consumer } = dfnConsumer(async (input, s) => {
    if (broken) throw new Error('invalid answer to drafts.final-note');
    return local(input, s);
  });
  const ingested = await ingest(speakerId, 'hyper tension period');
  await consumer.process([ingested], { kind: 'checkpoint', position: ingested.position }, signal());
  const [letter] = (await listDeadLetters(testDb.database.db, { consumer: DRAFTS_DFN, limit: 500 })).items.filter((l) => l.streamId === ingested.streamId);
  t.like(letter, { eventId: ingested.eventId, attempts: 2, status: 'open' });
  broken = false;
  await retryDeadLetter(testDb.database.db, [consumer], letter!.id);
  await retryDeadLetter(testDb.database.db, [consumer], letter!.id).catch(() => undefined);
  t.deepEqual((await collect(store.readStream(ingested.streamId))).map((event) => event.type), ['DraftIngested', 'DfnGenerated']);
});

test('a speaker with no past pairs gets the draft back with only what needs no learning: nothing', async (t) => {
  const speakerId = uuidv7();
  await appendSpeaker(store, speakerId, null);
  const ingested = await ingest(speakerId, 'ünïcödé «text» — 🫀 "quoted" \\ um');
  await dfnConsumer(local).consumer.process([ingested], { kind: 'checkpoint', position: ingested.position }, signal());
  const [, generated] = await collect(store.readStream(ingested.streamId));
  t.like(generated?.data, { text: 'ünïcödé «text» — 🫀 "quoted" \\ um', retrieved: [] });
});

test('two enrichments of the same draft racing (two processes, a lost checkpoint) append one DFN', async (t) => {
  const { speakerId } = await speakerWithPairs(PAIRS);
  const ingested = await ingest(speakerId, 'hyper tension period');
  const { enricher } = dfnConsumer(local);
  await Promise.all([enricher.enrich(ingested, signal()), enricher.enrich(ingested, signal())]);
  await enricher.enrich(ingested, signal());
  t.deepEqual((await collect(store.readStream(ingested.streamId))).map((event) => event.type), ['DraftIngested', 'DfnGenerated']);
});
