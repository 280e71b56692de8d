// The bucket recommender: after each evaluation, once the speaker has at least N evaluated drafts (N:
// CHORUS_DRAFTS_BUCKET_WINDOW), takes the mean raw-draft WER of their last N drafts' latest evaluations; when the
// fixed thresholds (domain/drafts/bucket-thresholds.ts) put it in another bucket than the speaker's, it appends
// SpeakerBucketRecommended to the speaker's stream. It never reassigns: an operator accepts with the reassign route.
//
// The window, exactly as of the triggering evaluation: the evaluations come from the drafts-dashboard read model,
// which may lag behind the log (another process, other Kafka partitions). So the recommender first waits, as a
// transient failure retried with backoff, until that projection has applied the whole log up to the trigger's
// position (its checkpoint, or on Kafka its smallest partition watermark: appliedPosition), then keeps only the
// evaluations at or before the trigger (positions compared by the store). Evaluations appended since do not
// change the decision, so the same trigger always yields the same recommendation; its event id derives from the
// trigger, so a redelivery or a second process appends nothing.
import type { Kysely } from 'kysely';
import { bucketForRawWer } from '../../domain/drafts/bucket-thresholds.js';
import type { Bucket, EvaluationCompleted, SpeakerBucketRecommended, SpeakerEvent } from '../../domain/drafts/events.js';
import { speakerStreamId } from '../../domain/drafts/events.js';
import { WrongExpectedRevision } from '../../domain/kernel/errors.js';
import { retryOrThrow } from '../../application/kernel/retry.js';
import type { Upcasting } from '../../application/eventstore/upcasting.js';
import type { Clock } from '../../application/ports/clock.js';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import type { Ids } from '../../application/ports/ids.js';
import type { Enricher } from '../enricher.js';
import { awaitApplied, ReadModelBehind, type AppliedPosition } from '../projection-status.js';
import type { Schema } from '../schema.js';
import { draftsDashboardProjection } from './dashboard-projection.js';

export const DRAFTS_BUCKET_RECOMMENDER = 'enricher.drafts-bucket-recommender';

/** Appends lost to a concurrent writer of the speaker's stream are decided again, this often. */
const CONFLICT_RETRIES = { maxAttempts: 5, minMs: 5, maxMs: 100 } as const;

export type BucketRecommenderDependencies = Readonly<{
  store: EventStore;
  ids: Ids;
  clock: Clock;
  upcasting: Upcasting;
  db: Kysely<Schema>;
  appliedPosition: AppliedPosition;
  window: number;
}>;

export type SpeakerBucketState = Readonly<{
  bucket: Bucket | null;
  /** The last recommendation, while no reassignment followed it. */
  pending: Readonly<{ from: Bucket; to: Bucket }> | null;
  lastRevision: number;
}>;

export async function speakerBucketState(store: EventStore, speakerId: string): Promise<SpeakerBucketState> {
  let bucket: Bucket | null = null;
  let pending: SpeakerBucketState['pending'] = null;
  let lastRevision = -1;
  for await (const recorded of store.readStream(speakerStreamId(speakerId))) {
    const event = recorded as unknown as SpeakerEvent;
    lastRevision = recorded.revision;
    if (event.type === 'SpeakerCreated') bucket = event.data.bucket;
    else if (event.type === 'SpeakerReassigned') [bucket, pending] = [event.data.to, null];
    else pending = { from: event.data.from, to: event.data.to };
  }
  return { bucket, pending, lastRevision };
}

export type EvaluationWindow = Readonly<{ evaluationIds: string[]; meanRawWer: number }>;

/**
 * The speaker's last `size` evaluated drafts as of `trigger`, each by its latest evaluation, newest first; null when
 * fewer drafts are evaluated. Throws ReadModelBehind while the read model has not applied the trigger.
 */
export async function evaluationWindow(deps: Pick<BucketRecommenderDependencies, 'store' | 'db' | 'appliedPosition'>, trigger: RecordedEvent, speakerId: string, size: number, signal?: AbortSignal): Promise<EvaluationWindow | null> {
  const { store, db } = deps;
  await awaitApplied(deps, draftsDashboardProjection, trigger.position, signal);
  const rows = await db
    .selectFrom('drafts_dashboard_evaluations')
    .select(['evaluation_id', 'draft_id', 'final_note_revision', 'raw_wer', 'position'])
    .where('speaker_id', '=', speakerId)
    .execute();
  const latest = new Map<string, (typeof rows)[number]>();
  for (const row of rows) {
    if (store.comparePositions(row.position, trigger.position) > 0) continue; // after the trigger
    const seen = latest.get(row.draft_id);
    if (seen === undefined || row.final_note_revision > seen.final_note_revision) latest.set(row.draft_id, row);
  }
  if (latest.size < size) return null;
  const last = [...latest.values()].sort((a, b) => store.comparePositions(b.position, a.position)).slice(0, size);
  return { evaluationIds: last.map((row) => row.evaluation_id), meanRawWer: last.reduce((sum, row) => sum + Number(row.raw_wer), 0) / last.length };
}

export function draftsBucketRecommender(deps: BucketRecommenderDependencies): Enricher {
  const { store, ids, clock, upcasting, window } = deps;
  const recommendationIdOf = (evaluation: RecordedEvent): string => ids.fromName(`${DRAFTS_BUCKET_RECOMMENDER}:${evaluation.eventId}`);
  const speakerIdOf = (evaluation: RecordedEvent): string => (evaluation.data as EvaluationCompleted['data']).speakerId;
  return {
    name: DRAFTS_BUCKET_RECOMMENDER,
    categories: ['draft'],
    handles: ['EvaluationCompleted'],
    isUnavailable: (error) => error instanceof ReadModelBehind,
    async enrichedAlready(events: readonly RecordedEvent[]): Promise<ReadonlySet<string>> {
      const sources = new Map(events.map((event) => [recommendationIdOf(event).toLowerCase(), event.eventId]));
      const stored = await store.storedEventIds(events.map((event) => ({ streamId: speakerStreamId(speakerIdOf(event)), eventId: recommendationIdOf(event) })));
      return new Set([...stored].map((id) => sources.get(id)!));
    },
    async enrich(trigger: RecordedEvent, signal: AbortSignal): Promise<void> {
      const speakerId = speakerIdOf(trigger);
      const evaluations = await evaluationWindow(deps, trigger, speakerId, window, signal);
      if (evaluations === null) return;
      const to = bucketForRawWer(evaluations.meanRawWer);
      const recommendOnce = async (): Promise<void> => {
        const speaker = await speakerBucketState(store, speakerId);
        if (speaker.bucket === null || speaker.bucket === to) return;
        // The same advice, still unanswered, is not given again.
        if (speaker.pending !== null && speaker.pending.from === speaker.bucket && speaker.pending.to === to) return;
        const data: SpeakerBucketRecommended['data'] = {
          speakerId,
          from: speaker.bucket,
          to,
          meanRawWer: evaluations.meanRawWer,
          window,
          evaluationIds: evaluations.evaluationIds,
          at: clock.now().toISOString(),
        };
        const metadata = {
          correlationId: trigger.metadata.correlationId,
          causationId: trigger.eventId,
          actor: { sub: DRAFTS_BUCKET_RECOMMENDER, roles: ['agent'] },
          occurredAt: data.at,
          schema: upcasting.currentSchema('SpeakerBucketRecommended'),
        };
        await store.append(speakerStreamId(speakerId), [{ eventId: recommendationIdOf(trigger), type: 'SpeakerBucketRecommended', data, metadata }], {
          expectedRevision: speaker.lastRevision,
        });
      };
      // A reassignment or another recommendation landed meanwhile: decide again on the speaker as it now stands.
      await retryOrThrow(recommendOnce, { ...CONFLICT_RETRIES, isFatal: (error) => !(error instanceof WrongExpectedRevision), signal });
    },
  };
}
