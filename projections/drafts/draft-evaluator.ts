// The evaluator: once a draft has a DFN and a final note, measures how close the DFN and the raw draft came to the
// final note (WER, CER, ROUGE-L: domain/drafts/text-metrics.ts) and appends EvaluationCompleted to the draft's
// stream. One evaluation per final note: its event id derives from (draft, final note revision), so a redelivery, a
// DfnGenerated and a FinalNoteRecorded that both find the pair complete, or a second process, append one event.
import type { DfnGenerated, DraftEvent, DraftIngested, EvaluationCompleted, FinalNoteRecorded } from '../../domain/drafts/events.js';
import { DEFAULT_BUCKET } from '../../domain/drafts/speaker-commands.js';
import { WrongExpectedRevision } from '../../domain/kernel/errors.js';
import { retryOrThrow } from '../../application/kernel/retry.js';
import type { Upcasting } from '../../application/eventstore/upcasting.js';
import type { Clock } from '../../application/ports/clock.js';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import type { Ids } from '../../application/ports/ids.js';
import type { Enricher } from '../enricher.js';
import { speakerBucketState } from './bucket-recommender.js';
import { boundedDraftEvaluation } from './draft-metrics.js';

export const DRAFTS_EVALUATOR = 'enricher.drafts-evaluator';

/** Appends lost to a concurrent writer of the stream (the DFN enricher, a new final note) are decided again, this often. */
const CONFLICT_RETRIES = { maxAttempts: 5, minMs: 5, maxMs: 100 } as const;

export type DraftsEvaluatorDependencies = Readonly<{
  store: EventStore;
  ids: Ids;
  clock: Clock;
  upcasting: Upcasting;
  /** How the texts are measured; by default inline for small texts and in a bounded number of worker threads for large ones. */
  evaluate?: ReturnType<typeof boundedDraftEvaluation>;
}>;

/** What the draft stream says up to the triggering event, and what it holds at all of evaluations. */
type DraftAsOf = Readonly<{
  ingested: DraftIngested['data'] | null;
  /** The DFN in force at the trigger: the latest one generated up to it. */
  dfn: DfnGenerated['data'] | null;
  finalNote: Readonly<{ revision: number; data: FinalNoteRecorded['data'] }> | null;
  /** Final note revisions with an evaluation anywhere in the stream (later ones included). */
  evaluated: ReadonlySet<number>;
  lastRevision: number;
}>;

/**
 * The draft as of `revision`: evaluating as of the trigger, not of whatever the stream holds when the event is
 * processed, makes the evaluations the same however late the evaluator runs (a final note replaced before the
 * evaluator caught up is still evaluated, against the DFN it was recorded beside).
 */
function draftAsOf(events: readonly RecordedEvent[], revision: number): DraftAsOf {
  let ingested: DraftAsOf['ingested'] = null;
  let dfn: DraftAsOf['dfn'] = null;
  let finalNote: DraftAsOf['finalNote'] = null;
  const evaluated = new Set<number>();
  for (const recorded of events) {
    const event = recorded as unknown as DraftEvent;
    if (event.type === 'EvaluationCompleted') evaluated.add(event.data.finalNoteRevision);
    if (recorded.revision > revision) continue;
    if (event.type === 'DraftIngested') ingested = event.data;
    else if (event.type === 'DfnGenerated') dfn = event.data;
    else if (event.type === 'FinalNoteRecorded') finalNote = { revision: recorded.revision, data: event.data };
  }
  return { ingested, dfn, finalNote, evaluated, lastRevision: events.at(-1)?.revision ?? -1 };
}

async function readStream(store: EventStore, streamId: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(streamId)) events.push(event);
  return events;
}

export function draftsEvaluator({ store, ids, clock, upcasting, evaluate = boundedDraftEvaluation() }: DraftsEvaluatorDependencies): Enricher {
  const evaluationIdOf = (draftId: string, finalNoteRevision: number): string => ids.fromName(`${DRAFTS_EVALUATOR}:${draftId}:${finalNoteRevision}`);
  const draftIdOf = (event: RecordedEvent): string => (event.data as { draftId: string }).draftId;
  return {
    name: DRAFTS_EVALUATOR,
    categories: ['draft'],
    handles: ['DfnGenerated', 'FinalNoteRecorded'],
    isUnavailable: () => false,
    /**
     * A final note's evaluation has a known id. A DfnGenerated does not name the final note it may complete, so it is
     * never answered here: `enrich` then reads the stream, finds the evaluation, and appends nothing (no AI is asked).
     */
    async enrichedAlready(events: readonly RecordedEvent[]): Promise<ReadonlySet<string>> {
      const notes = events.filter((event) => event.type === 'FinalNoteRecorded');
      const sources = new Map(notes.map((event) => [evaluationIdOf(draftIdOf(event), event.revision).toLowerCase(), event.eventId]));
      const stored = await store.storedEventIds(notes.map((event) => ({ streamId: event.streamId, eventId: evaluationIdOf(draftIdOf(event), event.revision) })));
      return new Set([...stored].map((id) => sources.get(id)!));
    },
    async enrich(trigger: RecordedEvent, signal: AbortSignal): Promise<void> {
      // Measured once, even when the append is decided again: the draft as of the trigger never changes.
      let measured: ReturnType<typeof evaluate> | undefined;
      const evaluateOnce = async (): Promise<void> => {
        const draft = draftAsOf(await readStream(store, trigger.streamId), trigger.revision);
        const { ingested, dfn, finalNote } = draft;
        if (ingested === null || dfn === null || finalNote === null || draft.evaluated.has(finalNote.revision)) return;
        measured ??= evaluate({ raw: ingested.text, dfn: dfn.text, finalNote: finalNote.data.text }, signal);
        // The speaker's bucket now, from its own stream (not a read model that may lag).
        const [{ bucket }, metrics] = await Promise.all([speakerBucketState(store, ingested.speakerId), measured]);
        const evaluationId = evaluationIdOf(ingested.draftId, finalNote.revision);
        const data: EvaluationCompleted['data'] = {
          evaluationId,
          draftId: ingested.draftId,
          speakerId: ingested.speakerId,
          // A speaker stream the draft names always exists (the draft was ingested for it); a new speaker's bucket, for
          // a store that lost it.
          bucket: bucket ?? DEFAULT_BUCKET,
          finalNoteRevision: finalNote.revision,
          rawWer: metrics.raw.wer,
          rawCer: metrics.raw.cer,
          rawEdits: metrics.raw.edits,
          dfnWer: metrics.dfn.wer,
          dfnCer: metrics.dfn.cer,
          dfnEdits: metrics.dfn.edits,
          dfnRougeL: metrics.dfnRougeL,
          improvement: metrics.improvement,
          metricVersion: metrics.metricVersion,
          evaluatedAt: clock.now().toISOString(),
        };
        const metadata = {
          correlationId: trigger.metadata.correlationId,
          causationId: trigger.eventId,
          actor: { sub: DRAFTS_EVALUATOR, roles: ['agent'] },
          occurredAt: data.evaluatedAt,
          schema: upcasting.currentSchema('EvaluationCompleted'),
        };
        await store.append(trigger.streamId, [{ eventId: evaluationId, type: 'EvaluationCompleted', data, metadata }], { expectedRevision: draft.lastRevision });
      };
      // Someone wrote to the draft meanwhile (maybe this very evaluation, from another process): decide again on the
      // stream as it now stands. Anything else is the consumer's to retry or park.
      await retryOrThrow(evaluateOnce, { ...CONFLICT_RETRIES, isFatal: (error) => !(error instanceof WrongExpectedRevision), signal });
    },
  };
}
