// The drafts read model: speakers, their bucket history, drafts and evaluations. Each speaker and draft row stands
// for one stream and keeps its revision, so applying an event twice changes nothing; history and evaluation rows are
// keyed by their event. A speaker's aggregates are recomputed from its drafts' rows after each batch that touches
// it, never moved by single events: Kafka orders streams, not the log, so a draft may be projected before its
// speaker, and the aggregates come out the same whatever the order or the batches.
import { sql, type Transaction } from 'kysely';
import { DRAFT_EVENT_TYPES, SPEAKER_EVENT_TYPES } from '../../domain/drafts/events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { foldRows } from '../polls/polls-rows.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import { bucketHistoryOf, evaluationRowOf, evolveDraft, evolveSpeaker, type DraftRow, type SpeakerRow } from './drafts-rows.js';

type Data = Record<string, unknown>;
const idOf = (event: RecordedEvent, field: 'speakerId' | 'draftId'): string => (event.data as Data)[field] as string;

/** Rows per insert statement: far below PostgreSQL's 65535 parameters at the widest table's 27 columns. */
const ROWS_PER_STATEMENT = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += ROWS_PER_STATEMENT) out.push(items.slice(at, at + ROWS_PER_STATEMENT));
  return out;
}

const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

async function applySpeakers(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const ids = [...new Set(events.map((event) => idOf(event, 'speakerId')))];
  // Planned at each run (see PLAN_PER_RUN in infrastructure/db): a plan made while the table was empty reads it whole.
  const before = (await sql<SpeakerRow>`select /* plan per run */ * from speakers where id = any(${ids}::uuid[])`.execute(tx)).rows;
  const changed = foldRows(new Map(before.map((row) => [row.id, row])), events, (event) => idOf(event, 'speakerId'), evolveSpeaker);
  for (const rows of chunks(changed.map(([, row]) => row))) {
    await tx
      .insertInto('speakers')
      .values(rows.map((row) => ({ ...row, pending_recommendation: json(row.pending_recommendation) })))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          external_id: eb.ref('excluded.external_id'),
          specialty: eb.ref('excluded.specialty'),
          bucket: eb.ref('excluded.bucket'),
          created_by: eb.ref('excluded.created_by'),
          created_at: eb.ref('excluded.created_at'),
          pending_recommendation: eb.ref('excluded.pending_recommendation'),
          revision: eb.ref('excluded.revision'),
        })),
      )
      .execute();
  }
  const history = events.map(bucketHistoryOf).filter((row) => row !== null);
  for (const rows of chunks(history)) {
    await tx.insertInto('speaker_bucket_history').values(rows).onConflict((oc) => oc.columns(['speaker_id', 'revision']).doNothing()).execute();
  }
}

const DRAFT_COLUMNS = [
  'speaker_id', 'external_id', 'text', 'text_hash', 'recorded_at', 'metadata', 'ingested_at', 'dfn_text', 'dfn_provider', 'dfn_model', 'dfn_retrieved',
  'dfn_latency_ms', 'dfn_generated_at', 'final_note_text', 'final_note_revision', 'final_note_recorded_by', 'final_note_recorded_at', 'final_notes', 'status',
  'last_evaluation_id', 'last_raw_wer', 'last_dfn_wer', 'last_improvement', 'last_evaluated_at', 'last_activity_at', 'revision',
] as const;

async function applyDrafts(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const ids = [...new Set(events.map((event) => idOf(event, 'draftId')))];
  const before = (await sql<DraftRow>`select /* plan per run */ * from drafts where id = any(${ids}::uuid[])`.execute(tx)).rows;
  const changed = foldRows(new Map(before.map((row) => [row.id, row])), events, (event) => idOf(event, 'draftId'), evolveDraft);
  for (const rows of chunks(changed.map(([, row]) => row))) {
    await tx
      .insertInto('drafts')
      .values(rows.map((row) => ({ ...row, metadata: json(row.metadata), dfn_retrieved: json(row.dfn_retrieved) })))
      // The column names are this module's constants, never input.
      .onConflict((oc) => oc.column('id').doUpdateSet((eb) => Object.fromEntries(DRAFT_COLUMNS.map((column) => [column, eb.ref(`excluded.${column}`)]))))
      .execute();
  }
  const evaluations = events.filter((event) => event.type === 'EvaluationCompleted').map(evaluationRowOf);
  for (const rows of chunks(evaluations)) {
    await tx
      .insertInto('draft_evaluations')
      .values(rows.map((row) => ({ ...row, raw_edits: JSON.stringify(row.raw_edits), dfn_edits: JSON.stringify(row.dfn_edits) })))
      .onConflict((oc) => oc.column('evaluation_id').doNothing())
      .execute();
  }
}

/** Recomputes the aggregates of these speakers from their drafts' rows: the same rows whatever the order of the batches. */
async function refreshAggregates(tx: Transaction<Schema>, speakerIds: readonly string[]): Promise<void> {
  if (speakerIds.length === 0) return;
  await sql`
    update /* plan per run */ speakers s set
      drafts = a.drafts, evaluated_drafts = a.evaluated_drafts, mean_raw_wer = a.mean_raw_wer, mean_dfn_wer = a.mean_dfn_wer,
      mean_improvement = a.mean_improvement, last_activity_at = a.last_activity_at
    from (
      select speaker_id, count(*)::integer as drafts, count(last_raw_wer)::integer as evaluated_drafts, avg(last_raw_wer) as mean_raw_wer,
        avg(last_dfn_wer) as mean_dfn_wer, avg(last_improvement) as mean_improvement, max(last_activity_at) as last_activity_at
      from drafts where speaker_id = any(${speakerIds}::uuid[]) group by speaker_id
    ) a
    where s.id = a.speaker_id`.execute(tx);
}

const speakerTypes = new Set<string>(SPEAKER_EVENT_TYPES);
const draftTypes = new Set<string>(DRAFT_EVENT_TYPES);

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  await applySpeakers(tx, events.filter((event) => speakerTypes.has(event.type)));
  await applyDrafts(tx, events.filter((event) => draftTypes.has(event.type)));
  await refreshAggregates(tx, [...new Set(events.filter((event) => speakerTypes.has(event.type) || draftTypes.has(event.type)).map((event) => idOf(event, 'speakerId')))]);
}

export const draftsProjection: Projection = {
  name: 'drafts',
  version: 1,
  categories: ['speaker', 'draft'],
  handles: [...SPEAKER_EVENT_TYPES, ...DRAFT_EVENT_TYPES],
  tables: ['speakers', 'speaker_bucket_history', 'drafts', 'draft_evaluations'],
  apply,
};
