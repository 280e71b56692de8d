// The drafts read model's rows, each folded from one stream by a pure evolve. A row keeps its stream's revision:
// an event at or below it is applied already, and changes nothing.
import type { Selectable } from 'kysely';
import { assertNever } from '../../domain/kernel/decider.js';
import type { DraftEvent, EvaluationCompleted, SpeakerEvent } from '../../domain/drafts/events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { DraftEvaluationsTable, DraftsTable, DraftStatus, SpeakerBucketHistoryTable, SpeakersTable } from './drafts-schema.js';

/** JSON columns as the projection writes them: parsed values, not text. */
export type SpeakerRow = Omit<Selectable<SpeakersTable>, 'pending_recommendation'> & { pending_recommendation: unknown };
export type DraftRow = Omit<Selectable<DraftsTable>, 'metadata' | 'dfn_retrieved'> & { metadata: unknown; dfn_retrieved: unknown };
export type EvaluationRow = Omit<Selectable<DraftEvaluationsTable>, 'raw_edits' | 'dfn_edits'> & { raw_edits: unknown; dfn_edits: unknown };
export type BucketHistoryRow = Selectable<SpeakerBucketHistoryTable>;

const applied = (row: { revision: number } | null, event: RecordedEvent): boolean => row !== null && event.revision <= row.revision;

export function evolveSpeaker(row: SpeakerRow | null, event: RecordedEvent): SpeakerRow | null {
  if (applied(row, event)) return row;
  const speakerEvent = event as unknown as SpeakerEvent;
  switch (speakerEvent.type) {
    case 'SpeakerCreated': {
      const { speakerId, name, externalId, specialty, bucket, createdBy, createdAt } = speakerEvent.data;
      return {
        id: speakerId,
        name,
        external_id: externalId,
        specialty,
        bucket,
        created_by: createdBy,
        created_at: new Date(createdAt),
        pending_recommendation: null,
        revision: event.revision,
        // Recomputed from the drafts table after every batch (see the projection).
        drafts: row?.drafts ?? 0,
        evaluated_drafts: row?.evaluated_drafts ?? 0,
        mean_raw_wer: row?.mean_raw_wer ?? null,
        mean_dfn_wer: row?.mean_dfn_wer ?? null,
        mean_improvement: row?.mean_improvement ?? null,
        last_activity_at: row?.last_activity_at ?? null,
      };
    }
    case 'SpeakerReassigned':
      if (row === null) return null;
      return { ...row, bucket: speakerEvent.data.to, pending_recommendation: null, revision: event.revision };
    case 'SpeakerBucketRecommended': {
      if (row === null) return null;
      const { from, to, meanRawWer, window, evaluationIds, at } = speakerEvent.data;
      return { ...row, pending_recommendation: { from, to, meanRawWer, window, evaluationIds, at }, revision: event.revision };
    }
    default:
      return assertNever(speakerEvent);
  }
}

/** The history entry of a speaker event that puts it in a bucket; null for a recommendation. */
export function bucketHistoryOf(event: RecordedEvent): BucketHistoryRow | null {
  const speakerEvent = event as unknown as SpeakerEvent;
  switch (speakerEvent.type) {
    case 'SpeakerCreated': {
      const { speakerId, bucket, createdBy, createdAt } = speakerEvent.data;
      return { speaker_id: speakerId, revision: event.revision, from_bucket: null, to_bucket: bucket, reason: null, by: createdBy, at: new Date(createdAt) };
    }
    case 'SpeakerReassigned': {
      const { speakerId, from, to, reason, by, at } = speakerEvent.data;
      return { speaker_id: speakerId, revision: event.revision, from_bucket: from, to_bucket: to, reason, by, at: new Date(at) };
    }
    case 'SpeakerBucketRecommended':
      return null;
    default:
      return assertNever(speakerEvent);
  }
}

/** evaluated: the current final note has an evaluation; finalized: not yet; dfn_generated: a DFN and no final note. */
function statusOf(row: Pick<DraftRow, 'dfn_text' | 'final_note_revision'>, evaluatedRevision: number | null): DraftStatus {
  if (row.final_note_revision !== null) return evaluatedRevision === row.final_note_revision ? 'evaluated' : 'finalized';
  return row.dfn_text !== null ? 'dfn_generated' : 'ingested';
}

const later = (a: Date, b: Date): Date => (b.getTime() > a.getTime() ? b : a);

export function evolveDraft(row: DraftRow | null, event: RecordedEvent): DraftRow | null {
  if (applied(row, event)) return row;
  const draftEvent = event as unknown as DraftEvent;
  switch (draftEvent.type) {
    case 'DraftIngested': {
      const { draftId, speakerId, externalId, text, textHash, recordedAt, metadata, ingestedAt } = draftEvent.data;
      const at = new Date(ingestedAt);
      return {
        id: draftId,
        speaker_id: speakerId,
        external_id: externalId,
        text,
        text_hash: textHash,
        recorded_at: recordedAt === null ? null : new Date(recordedAt),
        metadata,
        ingested_at: at,
        dfn_text: null,
        dfn_provider: null,
        dfn_model: null,
        dfn_retrieved: null,
        dfn_latency_ms: null,
        dfn_generated_at: null,
        final_note_text: null,
        final_note_revision: null,
        final_note_recorded_by: null,
        final_note_recorded_at: null,
        final_notes: 0,
        status: 'ingested',
        last_evaluation_id: null,
        last_raw_wer: null,
        last_dfn_wer: null,
        last_improvement: null,
        last_evaluated_at: null,
        last_activity_at: at,
        revision: event.revision,
      };
    }
    case 'DfnGenerated': {
      if (row === null) return null;
      const { text, provider, model, retrieved, latencyMs, generatedAt } = draftEvent.data;
      const at = new Date(generatedAt);
      const next = { ...row, dfn_text: text, dfn_provider: provider, dfn_model: model, dfn_retrieved: [...retrieved], dfn_latency_ms: Math.round(latencyMs), dfn_generated_at: at };
      return { ...next, status: statusOf(next, evaluatedRevisionOf(row)), last_activity_at: later(row.last_activity_at, at), revision: event.revision };
    }
    case 'FinalNoteRecorded': {
      if (row === null) return null;
      const { text, recordedBy, recordedAt } = draftEvent.data;
      const at = new Date(recordedAt);
      const next = { ...row, final_note_text: text, final_note_revision: event.revision, final_note_recorded_by: recordedBy, final_note_recorded_at: at, final_notes: row.final_notes + 1 };
      return { ...next, status: statusOf(next, null), last_activity_at: later(row.last_activity_at, at), revision: event.revision };
    }
    case 'EvaluationCompleted': {
      if (row === null) return null;
      const { evaluationId, finalNoteRevision, rawWer, dfnWer, improvement, evaluatedAt } = draftEvent.data;
      const at = new Date(evaluatedAt);
      const next = { ...row, last_evaluation_id: evaluationId, last_raw_wer: rawWer, last_dfn_wer: dfnWer, last_improvement: improvement, last_evaluated_at: at };
      // An evaluation of an earlier final note (one replaced meanwhile) leaves the current one unevaluated.
      const status = row.status === 'evaluated' ? 'evaluated' : statusOf(next, finalNoteRevision);
      return { ...next, status, last_activity_at: later(row.last_activity_at, at), revision: event.revision };
    }
    default:
      return assertNever(draftEvent);
  }
}

/** The final note revision the row's status says is evaluated: its current one when evaluated, none otherwise. */
const evaluatedRevisionOf = (row: DraftRow): number | null => (row.status === 'evaluated' ? row.final_note_revision : null);

export function evaluationRowOf(event: RecordedEvent): EvaluationRow {
  const d = (event as unknown as EvaluationCompleted).data;
  return {
    evaluation_id: d.evaluationId,
    draft_id: d.draftId,
    speaker_id: d.speakerId,
    bucket: d.bucket,
    final_note_revision: d.finalNoteRevision,
    raw_wer: d.rawWer,
    raw_cer: d.rawCer,
    raw_edits: d.rawEdits,
    dfn_wer: d.dfnWer,
    dfn_cer: d.dfnCer,
    dfn_edits: d.dfnEdits,
    dfn_rouge_l: d.dfnRougeL,
    improvement: d.improvement,
    metric_version: d.metricVersion,
    evaluated_at: new Date(d.evaluatedAt),
    revision: event.revision,
  };
}
