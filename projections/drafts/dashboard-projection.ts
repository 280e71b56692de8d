// The drafts dashboard's read model (projection drafts-dashboard): one row per draft, counted on its day, carrying
// its latest evaluation; every evaluation with its log position (the bucket recommender's window); each speaker's
// current bucket. Rows fold by pure functions guarded by stream revision, and evaluations are keyed by their id, so a
// batch applied twice writes nothing new.
import { sql, type Selectable, type Transaction } from 'kysely';
import type { DraftEvent, SpeakerEvent } from '../../domain/drafts/events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import type { DraftsDashboardDraftsTable, DraftsDashboardSpeakersTable } from './dashboard-schema.js';

export type DashboardDraftRow = Selectable<DraftsDashboardDraftsTable>;
export type DashboardSpeakerRow = Selectable<DraftsDashboardSpeakersTable>;

export const DRAFTS_DASHBOARD = 'drafts-dashboard';

/** The UTC day of a timestamp. */
const dayOf = (at: string): string => new Date(at).toISOString().slice(0, 10);

export function evolveDraft(row: DashboardDraftRow | null, recorded: RecordedEvent): DashboardDraftRow | null {
  if (row !== null && recorded.revision <= row.revision) return row; // applied already
  const event = recorded as unknown as DraftEvent;
  switch (event.type) {
    case 'DraftIngested': {
      const { draftId, speakerId, recordedAt, ingestedAt } = event.data;
      return {
        draft_id: draftId,
        speaker_id: speakerId,
        day: dayOf(recordedAt ?? ingestedAt),
        revision: recorded.revision,
        evaluation_id: null,
        final_note_revision: null,
        bucket: null,
        raw_wer: null,
        dfn_wer: null,
        improvement: null,
      };
    }
    case 'EvaluationCompleted': {
      if (row === null) return null;
      const { evaluationId, finalNoteRevision, bucket, rawWer, dfnWer, improvement } = event.data;
      // The latest final note's evaluation counts, even if an earlier one's (retried from a dead letter) comes later.
      if (row.final_note_revision !== null && finalNoteRevision < row.final_note_revision) return { ...row, revision: recorded.revision };
      return {
        ...row,
        revision: recorded.revision,
        evaluation_id: evaluationId,
        final_note_revision: finalNoteRevision,
        bucket,
        raw_wer: rawWer,
        dfn_wer: dfnWer,
        improvement,
      };
    }
    case 'DfnGenerated':
    case 'FinalNoteRecorded':
      return row;
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}

export function evolveSpeaker(row: DashboardSpeakerRow | null, recorded: RecordedEvent): DashboardSpeakerRow | null {
  if (row !== null && recorded.revision <= row.revision) return row;
  const event = recorded as unknown as SpeakerEvent;
  switch (event.type) {
    case 'SpeakerCreated':
      return { speaker_id: event.data.speakerId, bucket: event.data.bucket, revision: recorded.revision };
    case 'SpeakerReassigned':
      return row === null ? null : { ...row, bucket: event.data.to, revision: recorded.revision };
    case 'SpeakerBucketRecommended':
      return row;
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}

const draftIdOf = (event: RecordedEvent): string => (event.data as { draftId: string }).draftId;
const speakerIdOf = (event: RecordedEvent): string => (event.data as { speakerId: string }).speakerId;

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  const draftEvents = events.filter((event) => event.type === 'DraftIngested' || event.type === 'EvaluationCompleted');
  const speakerEvents = events.filter((event) => event.type === 'SpeakerCreated' || event.type === 'SpeakerReassigned');
  await applyDrafts(tx, draftEvents);
  await applySpeakers(tx, speakerEvents);
  await recordEvaluations(tx, events.filter((event) => event.type === 'EvaluationCompleted'));
}

async function applyDrafts(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const ids = [...new Set(events.map(draftIdOf))];
  const before = new Map((await tx.selectFrom('drafts_dashboard_drafts').modifyFront(sql`/* plan per run */`).selectAll().where('draft_id', 'in', ids).execute()).map((row) => [row.draft_id, row]));
  const after = new Map<string, DashboardDraftRow | null>(before);
  for (const event of events) after.set(draftIdOf(event), evolveDraft(after.get(draftIdOf(event)) ?? null, event));
  const changed = [...after.values()].filter((row): row is DashboardDraftRow => row !== null && row !== before.get(row.draft_id));
  if (changed.length === 0) return;
  await tx
    .insertInto('drafts_dashboard_drafts')
    .values(changed)
    .onConflict((oc) =>
      oc.column('draft_id').doUpdateSet((eb) => ({
        revision: eb.ref('excluded.revision'),
        evaluation_id: eb.ref('excluded.evaluation_id'),
        final_note_revision: eb.ref('excluded.final_note_revision'),
        bucket: eb.ref('excluded.bucket'),
        raw_wer: eb.ref('excluded.raw_wer'),
        dfn_wer: eb.ref('excluded.dfn_wer'),
        improvement: eb.ref('excluded.improvement'),
      })),
    )
    .execute();
}

async function applySpeakers(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const ids = [...new Set(events.map(speakerIdOf))];
  const before = new Map((await tx.selectFrom('drafts_dashboard_speakers').modifyFront(sql`/* plan per run */`).selectAll().where('speaker_id', 'in', ids).execute()).map((row) => [row.speaker_id, row]));
  const after = new Map<string, DashboardSpeakerRow | null>(before);
  for (const event of events) after.set(speakerIdOf(event), evolveSpeaker(after.get(speakerIdOf(event)) ?? null, event));
  const changed = [...after.values()].filter((row): row is DashboardSpeakerRow => row !== null && row !== before.get(row.speaker_id));
  if (changed.length === 0) return;
  await tx
    .insertInto('drafts_dashboard_speakers')
    .values(changed)
    .onConflict((oc) => oc.column('speaker_id').doUpdateSet((eb) => ({ bucket: eb.ref('excluded.bucket'), revision: eb.ref('excluded.revision') })))
    .execute();
}

/** Every evaluation once: its id is its key. */
async function recordEvaluations(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((recorded) => {
    const { data } = recorded as unknown as Extract<DraftEvent, { type: 'EvaluationCompleted' }>;
    return {
      evaluation_id: data.evaluationId,
      draft_id: data.draftId,
      speaker_id: data.speakerId,
      final_note_revision: data.finalNoteRevision,
      raw_wer: data.rawWer,
      position: recorded.position,
      evaluated_at: new Date(data.evaluatedAt),
    };
  });
  await tx
    .insertInto('drafts_dashboard_evaluations')
    .values(rows)
    .onConflict((oc) => oc.column('evaluation_id').doNothing())
    .execute();
}

export const draftsDashboardProjection: Projection = {
  name: DRAFTS_DASHBOARD,
  version: 1,
  categories: ['speaker', 'draft'],
  handles: ['SpeakerCreated', 'SpeakerReassigned', 'DraftIngested', 'EvaluationCompleted'],
  tables: ['drafts_dashboard_drafts', 'drafts_dashboard_evaluations', 'drafts_dashboard_speakers'],
  apply,
};
