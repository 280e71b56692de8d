// DFN generation with the local provider: drafts of the shipped synthetic corpus, each with retrieval through the
// FullTextRetriever over the corpus's training pairs on PGlite (the embedded profile's database), as the drafts-dfn
// enricher does it, less the append. Also the local provider alone, and one draft of the 100k-character maximum.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ProviderChain } from '../../application/ai/provider-chain.js';
import { generateFinalNote } from '../../application/drafts/final-note-task.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { DRAFT_TEXT_MAX_LENGTH, draftStreamId, speakerStreamId } from '../../domain/drafts/events.js';
import { LocalAiProvider } from '../../infrastructure/ai/local/local-ai-provider.js';
import { localTasks } from '../../infrastructure/ai/local/local-tasks.js';
import { DFN_EXAMPLES } from '../../projections/drafts/dfn-enricher.js';
import { FullTextRetriever } from '../../projections/drafts/full-text-retriever.js';
import { draftsRetrievalProjection } from '../../projections/drafts/retrieval-projection.js';
import type { DraftsCorpus } from '../../scripts/generate-drafts-corpus.js';
import { draftIngested, finalNoteRecorded, speakerCreated } from '../drafts/dfn-events.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { metadata } from '../support/events.js';
import { fromRounds, type Figure } from './figures.js';
import { progress } from './progress.js';

const ROUNDS = 3;

/** Events as the store records them, for the projection (the test's recordedEventLog lives beside ava, which a bench must not load). */
function recordedEventLog() {
  const revisions = new Map<string, number>();
  let position = 0;
  return {
    record: (streamId: string, event: { type: string; data: unknown }): RecordedEvent => {
      const revision = (revisions.get(streamId) ?? -1) + 1;
      revisions.set(streamId, revision);
      position++;
      return { eventId: randomUUID(), type: event.type, data: event.data, streamId, revision, position: String(position), metadata };
    },
  };
}
const ROUND_MS = 3_000;

/** Generations per second over a round of ROUND_MS, going round the drafts. */
async function rate(generate: (n: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let done = 0;
  while (performance.now() - started < ROUND_MS) await generate(done++);
  return done / ((performance.now() - started) / 1000);
}

export async function dfnFigures(): Promise<Figure[]> {
  const corpus = JSON.parse(readFileSync(new URL('../fixtures/drafts-corpus.json', import.meta.url), 'utf8')) as DraftsCorpus;
  progress('dfn: projecting the corpus into an embedded database');
  const testDb = await embeddedTestDatabase();
  try {
    const log = recordedEventLog();
    const events: RecordedEvent[] = corpus.speakers.map(({ speakerId, specialty }) => log.record(speakerStreamId(speakerId), speakerCreated(speakerId, specialty)));
    for (const { draftId, speakerId, draft, finalNote } of corpus.training) {
      events.push(log.record(draftStreamId(draftId), draftIngested(draftId, speakerId, draft)), log.record(draftStreamId(draftId), finalNoteRecorded(draftId, speakerId, finalNote)));
    }
    await testDb.database.db.transaction().execute((tx) => draftsRetrievalProjection.apply(tx, events));
    const retriever = new FullTextRetriever(testDb.database.db);
    const chain = new ProviderChain([new LocalAiProvider(localTasks)], { clock: { now: () => new Date() }, timeoutMs: 60_000, failureThreshold: 3, openMs: 1_000 });
    const specialties = new Map(corpus.speakers.map(({ speakerId, specialty }) => [speakerId, specialty]));
    const signal = new AbortController().signal;
    const retrieve = (note: DraftsCorpus['heldOut'][number], text = note.draft) =>
      retriever.retrieve({ draftId: note.draftId, speakerId: note.speakerId, specialty: specialties.get(note.speakerId) ?? null, text, limit: DFN_EXAMPLES });
    const withRetrieval = async (n: number) => {
      const note = corpus.heldOut[n % corpus.heldOut.length]!;
      return generateFinalNote(chain, { draft: note.draft, examples: await retrieve(note) }, signal);
    };
    const examples = await Promise.all(corpus.heldOut.map((note) => retrieve(note)));
    const providerOnly = (n: number) => {
      const at = n % corpus.heldOut.length;
      return generateFinalNote(chain, { draft: corpus.heldOut[at]!.draft, examples: examples[at]! }, signal);
    };

    const roundsOf = async (label: string, generate: (n: number) => Promise<unknown>): Promise<number[]> => {
      const rounds: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        progress(`dfn: ${label}, round ${round} of ${ROUNDS}`);
        rounds.push(await rate(generate));
      }
      return rounds;
    };
    const full = await roundsOf('retrieval and local provider', withRetrieval);
    const local = await roundsOf('local provider alone', providerOnly);

    progress('dfn: one draft of the maximum length');
    const first = corpus.heldOut[0]!;
    const long = `${first.draft} `.repeat(Math.ceil(DRAFT_TEXT_MAX_LENGTH / (first.draft.length + 1))).slice(0, DRAFT_TEXT_MAX_LENGTH);
    const longMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      await generateFinalNote(chain, { draft: long, examples: await retrieve(first, long) }, signal);
      longMs.push(performance.now() - started);
    }
    const averageWords = Math.round(corpus.heldOut.reduce((sum, note) => sum + note.draft.split(' ').length, 0) / corpus.heldOut.length);
    return [
      {
        name: 'DFN generations, local provider with retrieval (PGlite)',
        unit: 'ev/s',
        chorus: fromRounds(full, { drafts: corpus.heldOut.length, 'words per draft': averageWords, examples: DFN_EXAMPLES, 'training pairs': corpus.training.length }),
      },
      { name: 'DFN generations, local provider alone', unit: 'ev/s', chorus: fromRounds(local, { examples: DFN_EXAMPLES }) },
      { name: 'DFN of one 100k-character draft, with retrieval', unit: 'ms', chorus: fromRounds(longMs, { characters: DRAFT_TEXT_MAX_LENGTH }) },
    ];
  } finally {
    await testDb.drop();
  }
}
