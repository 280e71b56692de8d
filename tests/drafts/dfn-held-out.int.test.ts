// The local provider's DFN on the shipped synthetic corpus: with retrieval over the training pairs (the real
// FullTextRetriever on PGlite), the held-out drafts' DFNs are closer to their final notes than the raw drafts are.
// WER here compares case- and punctuation-blind words (the evaluator's normalisation); figures are logged.
import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { ProviderChain } from '../../application/ai/provider-chain.js';
import { generateFinalNote } from '../../application/drafts/final-note-task.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { draftStreamId, speakerStreamId } from '../../domain/drafts/events.js';
import { normalizedWords, wordErrors } from '../../domain/drafts/text-metrics.js';
import { LOCAL_FINAL_NOTE_MODEL } from '../../infrastructure/ai/local/draft-corrections.js';
import { LocalAiProvider } from '../../infrastructure/ai/local/local-ai-provider.js';
import { localTasks } from '../../infrastructure/ai/local/local-tasks.js';
import { DFN_EXAMPLES } from '../../projections/drafts/dfn-enricher.js';
import { FullTextRetriever } from '../../projections/drafts/full-text-retriever.js';
import { draftsRetrievalProjection } from '../../projections/drafts/retrieval-projection.js';
import { generateCorpus, type DraftsCorpus } from '../../scripts/generate-drafts-corpus.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { recordedEventLog } from '../support/projection-specification.js';
import { draftIngested, finalNoteRecorded, speakerCreated } from './dfn-events.js';

const corpus = JSON.parse(readFileSync(new URL('../fixtures/drafts-corpus.json', import.meta.url), 'utf8')) as DraftsCorpus;

/** The evaluator's WER, with its normalisation. */
const wer = (hypothesis: string, reference: string): number => wordErrors(normalizedWords(reference), normalizedWords(hypothesis)).wer;
const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

test('the shipped corpus is what the seeded generator writes', (t) => {
  t.deepEqual(JSON.parse(JSON.stringify(generateCorpus())), corpus, 'regenerate it with npm run corpus:drafts');
  t.true(readFileSync(new URL('../fixtures/drafts-corpus.json', import.meta.url)).length < 1_000_000);
});

let retriever: FullTextRetriever;
let drop: (() => Promise<void>) | undefined;

test.before(async () => {
  const testDb = await embeddedTestDatabase();
  drop = () => testDb.drop();
  const log = recordedEventLog();
  const events: RecordedEvent[] = corpus.speakers.map(({ speakerId, specialty }) => log.record(speakerStreamId(speakerId), speakerCreated(speakerId, specialty)));
  for (const { draftId, speakerId, draft, finalNote } of corpus.training) {
    events.push(log.record(draftStreamId(draftId), draftIngested(draftId, speakerId, draft)), log.record(draftStreamId(draftId), finalNoteRecorded(draftId, speakerId, finalNote)));
  }
  // The held-out drafts are ingested too: without a final note they must not be retrieved.
  for (const { draftId, speakerId, draft } of corpus.heldOut) events.push(log.record(draftStreamId(draftId), draftIngested(draftId, speakerId, draft)));
  await testDb.database.db.transaction().execute((tx) => draftsRetrievalProjection.apply(tx, events));
  retriever = new FullTextRetriever(testDb.database.db);
});
test.after.always(() => drop?.());

const chain = new ProviderChain([new LocalAiProvider(localTasks)], { clock: { now: () => new Date() }, timeoutMs: 10_000, failureThreshold: 3, openMs: 1_000 });
const heldOutIds = new Set(corpus.heldOut.map((note) => note.draftId));
const specialtyOf = new Map(corpus.speakers.map(({ speakerId, specialty }) => [speakerId, specialty]));

/** Each held-out draft's WER raw and as a DFN; `withoutOwnHistory`: as if its speaker were new, with colleagues' pairs only. */
async function heldOutWer(t: ExecutionContext, withoutOwnHistory: boolean): Promise<{ raw: number[]; dfn: number[]; ownShare: number }> {
  const raw: number[] = [];
  const dfn: number[] = [];
  let ownShare = 0;
  for (const { draftId, speakerId, draft, finalNote } of corpus.heldOut) {
    const query = { draftId, speakerId, specialty: specialtyOf.get(speakerId) ?? null, text: draft, limit: DFN_EXAMPLES };
    const pairs = withoutOwnHistory
      ? (await retriever.retrieve({ ...query, speakerId: uuidv7(), limit: 100 })).filter((pair) => pair.speakerId !== speakerId).slice(0, DFN_EXAMPLES)
      : await retriever.retrieve(query);
    t.false(pairs.some((pair) => heldOutIds.has(pair.draftId)), 'no held-out draft is retrieved');
    ownShare += pairs.filter((pair) => pair.own).length / Math.max(1, pairs.length) / corpus.heldOut.length;
    const note = await generateFinalNote(chain, { draft, examples: pairs }, new AbortController().signal);
    t.like(note, { provider: 'local', model: LOCAL_FINAL_NOTE_MODEL });
    raw.push(wer(draft, finalNote));
    dfn.push(wer(note.text, finalNote));
  }
  return { raw, dfn, ownShare };
}

test('on the held-out drafts the local provider lowers the mean WER against the final note', async (t) => {
  const { raw, dfn, ownShare } = await heldOutWer(t, false);
  const [rawMean, dfnMean] = [mean(raw), mean(dfn)];
  t.log(`held-out: ${raw.length} drafts, mean WER raw ${rawMean.toFixed(3)}, DFN ${dfnMean.toFixed(3)}, improvement ${(rawMean - dfnMean).toFixed(3)}; own pairs ${(ownShare * 100).toFixed(0)}% of those retrieved`);
  t.true(rawMean > 0.15, 'the raw drafts leave something to correct');
  t.true(dfnMean < rawMean / 2, `the DFNs halve the raw drafts' mean WER (raw ${rawMean.toFixed(3)}, DFN ${dfnMean.toFixed(3)})`);
  t.true(dfn.filter((value, n) => value < raw[n]!).length >= Math.ceil(0.9 * raw.length), 'nine in ten DFNs improve on their draft');
});

test('a speaker with no history of their own still gains from the pairs of colleagues of their specialty', async (t) => {
  const { raw, dfn } = await heldOutWer(t, true);
  const [rawMean, dfnMean] = [mean(raw), mean(dfn)];
  t.log(`held-out, colleagues' pairs only: mean WER raw ${rawMean.toFixed(3)}, DFN ${dfnMean.toFixed(3)}`);
  t.true(dfnMean < rawMean * 0.8, `the specialty's corrections cut the mean WER by a fifth or more (raw ${rawMean.toFixed(3)}, DFN ${dfnMean.toFixed(3)})`);
});
