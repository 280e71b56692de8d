// The DFN through Gemini, against the local fake Gemini server: the retrieved pairs travel as examples in a JSON-mode
// request, the answer becomes DfnGenerated with Gemini's model, and an invalid answer counts as the provider's
// failure (the next provider answers, or the draft is parked when none does).
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { AllProvidersFailed, ProviderChain } from '../../application/ai/provider-chain.js';
import { EXAMPLE_MAX_LENGTH, FinalNoteSchema, finalNoteTask, generateFinalNote } from '../../application/drafts/final-note-task.js';
import type { AiProvider } from '../../application/ports/ai-provider.js';
import type { EventStore } from '../../application/ports/event-store.js';
import { draftStreamId, speakerStreamId } from '../../domain/drafts/events.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { GeminiAiProvider } from '../../infrastructure/ai/gemini/gemini-ai-provider.js';
import { LOCAL_FINAL_NOTE_MODEL } from '../../infrastructure/ai/local/draft-corrections.js';
import { LocalAiProvider } from '../../infrastructure/ai/local/local-ai-provider.js';
import { localTasks } from '../../infrastructure/ai/local/local-tasks.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { draftsDfn } from '../../projections/drafts/dfn-enricher.js';
import { FullTextRetriever } from '../../projections/drafts/full-text-retriever.js';
import { draftsRetrievalProjection } from '../../projections/drafts/retrieval-projection.js';
import { EnricherConsumer } from '../../projections/enricher.js';
import { embeddedTestDatabase, type TestDatabase } from '../support/databases.js';
import { appliedEverything, collect } from '../support/events.js';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.js';
import { upcasting } from '../support/upcasting.js';
import { appendSpeaker, appendTo, draftIngested, finalNoteRecorded } from './dfn-events.js';

const API_KEY = 'chorus-test-key-dfn-4Kp';
const MODEL = 'gemini-2.0-flash';
const live = (): AbortSignal => new AbortController().signal;

async function fake(t: ExecutionContext): Promise<FakeGemini> {
  const server = await startFakeGemini();
  t.teardown(() => server.close());
  return server;
}

const geminiAt = (server: FakeGemini): GeminiAiProvider => new GeminiAiProvider({ apiKey: API_KEY, model: MODEL, baseUrl: server.baseUrl });
const chainOf = (providers: readonly AiProvider[]): ProviderChain =>
  new ProviderChain(providers, { clock: systemClock, timeoutMs: 5_000, failureThreshold: 5, openMs: 30_000 });

let testDb: TestDatabase | undefined;
let store: EventStore;
test.before(async () => {
  testDb = await embeddedTestDatabase();
  store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
});
test.after.always(() => testDb?.drop());

test('the enricher sends the retrieved pairs to Gemini as examples in JSON mode, and records its note and model', async (t) => {
  const server = await fake(t);
  const speakerId = uuidv7();
  await appendSpeaker(store, speakerId, 'cardiology-gemini');
  const pastId = uuidv7();
  await appendTo(store, draftStreamId(pastId), draftIngested(pastId, speakerId, 'history of hyper tension period'), finalNoteRecorded(pastId, speakerId, 'History of hypertension.'));
  const past = [...(await collect(store.readStream(speakerStreamId(speakerId)))), ...(await collect(store.readStream(draftStreamId(pastId))))];
  await testDb!.database.db.transaction().execute((tx) => draftsRetrievalProjection.apply(tx, past));

  const draftId = uuidv7();
  const draft = 'known hyper tension on "meta prolol" period';
  await appendTo(store, draftStreamId(draftId), draftIngested(draftId, speakerId, draft));
  const [ingested] = await collect(store.readStream(draftStreamId(draftId)));
  server.reply({ kind: 'json', value: { finalNote: 'Known hypertension on "metoprolol".' } });
  const chain = chainOf([geminiAt(server), new LocalAiProvider(localTasks)]);
  const enricher = draftsDfn({ store, ids: uuidV7Ids, clock: systemClock, upcasting, db: testDb!.database.db, appliedPosition: appliedEverything(store), retriever: new FullTextRetriever(testDb!.database.db), generate: (input, signal) => generateFinalNote(chain, input, signal) });
  await new EnricherConsumer(testDb!.database.db, enricher, pino({ level: 'silent' }), { maxAttempts: 1, retryMinMs: 1, retryMaxMs: 5, isTransient: () => false }).process(
    [ingested!],
    { kind: 'checkpoint', position: ingested!.position },
    live(),
  );

  const [, generated] = await collect(store.readStream(draftStreamId(draftId)));
  t.like(generated, { type: 'DfnGenerated', data: { text: 'Known hypertension on "metoprolol".', provider: 'gemini', model: MODEL, retrieved: [pastId] } });
  t.is(server.requests.length, 1);
  const body = server.requests[0]!.body;
  t.is(body.generationConfig?.responseMimeType, 'application/json');
  t.like(body.generationConfig?.responseSchema, { type: 'object', properties: { finalNote: { type: 'string' } }, required: ['finalNote'] });
  const prompt = body.contents?.[0]?.parts?.[0]?.text ?? '';
  t.true(prompt.includes(`<example 1 id="${pastId}">\n<draft>\nhistory of hyper tension period\n</draft>\n<final_note>\nHistory of hypertension.\n</final_note>`), 'the retrieved pair is an example');
  t.true(prompt.endsWith(`<new_draft>\n${draft}\n</new_draft>`), 'the new draft comes last, whole');
  t.true(body.systemInstruction?.parts?.[0]?.text?.includes('Answer with JSON') === true);
});

test('examples are clipped for the request; the new draft never is', (t) => {
  const long = 'word '.repeat(5_000);
  const { text } = finalNoteTask.describe({ draft: long, examples: [{ draftId: 'd1', draft: long, finalNote: long }] });
  t.true(text.includes(`<draft>\n${long.slice(0, EXAMPLE_MAX_LENGTH)} [...]\n</draft>`));
  t.true(text.endsWith(`<new_draft>\n${long}\n</new_draft>`));
});

test('an invalid Gemini answer is Gemini\'s failure: the local provider answers instead, or, alone, the chain fails on the input', async (t) => {
  const server = await fake(t);
  const input = { draft: 'um hyper tension', examples: [] };
  server.reply({ kind: 'json', value: { note: 'wrong field' } }, { kind: 'json', value: { finalNote: '' } }, { kind: 'text', text: 'Sure! Here is the note: ...' });
  const withLocal = await generateFinalNote(chainOf([geminiAt(server), new LocalAiProvider(localTasks)]), input, live());
  t.deepEqual(withLocal, { text: 'um hyper tension', provider: 'local', model: LOCAL_FINAL_NOTE_MODEL });
  const alone = chainOf([geminiAt(server)]);
  for (let n = 0; n < 2; n++) {
    const error = await t.throwsAsync(generateFinalNote(alone, input, live()), { instanceOf: AllProvidersFailed });
    t.false((error as AllProvidersFailed).unavailable, 'the enricher parks it after its attempts instead of retrying for ever');
  }
  t.false(FinalNoteSchema.safeParse({ finalNote: '' }).success);
});
