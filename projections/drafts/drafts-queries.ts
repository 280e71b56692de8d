// Reads of the drafts read model: one speaker with its aggregates and bucket history, pages of speakers (by bucket,
// by a search of name and externalId), one draft with its DFN, final note and evaluations, and pages of drafts (by
// speaker and status). Pages are keyset, newest first.
import { sql, type Kysely } from 'kysely';
import type { Bucket, EditCounts } from '../../domain/drafts/events.js';
import { decodeCursor, encodeCursor } from '../keyset-cursor.js';
import type { Schema } from '../schema.js';
import type { DraftStatus } from './drafts-schema.js';
import type { DraftRow, EvaluationRow, SpeakerRow } from './drafts-rows.js';

export type SpeakerAggregates = Readonly<{
  drafts: number;
  evaluatedDrafts: number;
  meanRawWer: number | null;
  meanDfnWer: number | null;
  meanImprovement: number | null;
  lastActivityAt: string | null;
}>;

export type SpeakerSummaryView = Readonly<{
  id: string;
  name: string;
  externalId: string | null;
  specialty: string | null;
  bucket: Bucket;
  createdBy: string;
  createdAt: string;
  revision: number;
  aggregates: SpeakerAggregates;
  pendingRecommendation: unknown;
}>;

export type BucketChangeView = Readonly<{ from: Bucket | null; to: Bucket; reason: string | null; by: string; at: string }>;

export type SpeakerView = SpeakerSummaryView & Readonly<{ bucketHistory: readonly BucketChangeView[] }>;

export type Page<Item> = Readonly<{ items: readonly Item[]; nextCursor: string | null }>;

const iso = (at: Date | null): string | null => at?.toISOString() ?? null;

const speakerSummaryOf = (row: SpeakerRow): SpeakerSummaryView => ({
  id: row.id,
  name: row.name,
  externalId: row.external_id,
  specialty: row.specialty,
  bucket: row.bucket,
  createdBy: row.created_by,
  createdAt: row.created_at.toISOString(),
  revision: row.revision,
  aggregates: {
    drafts: Number(row.drafts),
    evaluatedDrafts: Number(row.evaluated_drafts),
    meanRawWer: row.mean_raw_wer,
    meanDfnWer: row.mean_dfn_wer,
    meanImprovement: row.mean_improvement,
    lastActivityAt: iso(row.last_activity_at),
  },
  pendingRecommendation: row.pending_recommendation,
});

export async function getSpeaker(db: Kysely<Schema>, id: string): Promise<SpeakerView | undefined> {
  const [row, history] = await Promise.all([
    db.selectFrom('speakers').selectAll().where('id', '=', id).executeTakeFirst(),
    db.selectFrom('speaker_bucket_history').selectAll().where('speaker_id', '=', id).orderBy('revision').execute(),
  ]);
  if (row === undefined) return undefined;
  return {
    ...speakerSummaryOf(row as SpeakerRow),
    bucketHistory: history.map((change) => ({ from: change.from_bucket, to: change.to_bucket, reason: change.reason, by: change.by, at: change.at.toISOString() })),
  };
}

export type SpeakerFilter = Readonly<{ bucket?: Bucket; q?: string; limit: number; cursor?: string }>;

/** Newest first; `q` matches a part of the name or the externalId, case-insensitively (a plain substring, no pattern). */
export async function listSpeakers(db: Kysely<Schema>, { bucket, q, limit, cursor }: SpeakerFilter): Promise<Page<SpeakerSummaryView>> {
  let query = db.selectFrom('speakers').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
  if (bucket !== undefined) query = query.where('bucket', '=', bucket);
  if (q !== undefined) query = query.where(sql<boolean>`(strpos(lower(name), lower(${q})) > 0 or strpos(lower(coalesce(external_id, '')), lower(${q})) > 0)`);
  if (cursor !== undefined) {
    const [at, id] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(at, id)));
  }
  const rows = (await query.execute()) as SpeakerRow[];
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(speakerSummaryOf), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.created_at, last.id) : null };
}

export type EvaluationView = Readonly<{
  evaluationId: string;
  bucket: Bucket;
  finalNoteRevision: number;
  raw: Readonly<{ wer: number; cer: number; edits: EditCounts }>;
  dfn: Readonly<{ wer: number; cer: number; edits: EditCounts; rougeL: number }>;
  improvement: number;
  metricVersion: number;
  evaluatedAt: string;
}>;

export type DraftSummaryView = Readonly<{
  id: string;
  speakerId: string;
  externalId: string;
  status: DraftStatus;
  recordedAt: string | null;
  ingestedAt: string;
  lastActivityAt: string;
  hasDfn: boolean;
  finalNotes: number;
  latestEvaluation: Readonly<{ evaluationId: string; rawWer: number; dfnWer: number; improvement: number; evaluatedAt: string }> | null;
  revision: number;
}>;

export type DraftView = Omit<DraftSummaryView, 'hasDfn'> &
  Readonly<{
    text: string;
    textHash: string;
    metadata: unknown;
    dfn: Readonly<{ text: string; provider: string; model: string; retrieved: unknown; latencyMs: number; generatedAt: string }> | null;
    finalNote: Readonly<{ text: string; revision: number; recordedBy: string; recordedAt: string }> | null;
    /** Every evaluation, oldest first: those of replaced final notes stay. */
    evaluations: readonly EvaluationView[];
  }>;

/** The columns a draft's summary shows: all a page of drafts reads. */
const SUMMARY_COLUMNS = [
  'id', 'speaker_id', 'external_id', 'status', 'recorded_at', 'ingested_at', 'last_activity_at', 'dfn_generated_at', 'final_notes', 'last_evaluation_id',
  'last_raw_wer', 'last_dfn_wer', 'last_improvement', 'last_evaluated_at', 'revision',
] as const;

function draftSummaryOf(row: Pick<DraftRow, (typeof SUMMARY_COLUMNS)[number]>): DraftSummaryView {
  const latest =
    row.last_evaluation_id === null
      ? null
      : { evaluationId: row.last_evaluation_id, rawWer: row.last_raw_wer!, dfnWer: row.last_dfn_wer!, improvement: row.last_improvement!, evaluatedAt: row.last_evaluated_at!.toISOString() };
  return {
    id: row.id,
    speakerId: row.speaker_id,
    externalId: row.external_id,
    status: row.status,
    recordedAt: iso(row.recorded_at),
    ingestedAt: row.ingested_at.toISOString(),
    lastActivityAt: row.last_activity_at.toISOString(),
    hasDfn: row.dfn_generated_at !== null,
    finalNotes: Number(row.final_notes),
    latestEvaluation: latest,
    revision: row.revision,
  };
}

const evaluationOf = (row: EvaluationRow): EvaluationView => ({
  evaluationId: row.evaluation_id,
  bucket: row.bucket,
  finalNoteRevision: row.final_note_revision,
  raw: { wer: row.raw_wer, cer: row.raw_cer, edits: row.raw_edits as EditCounts },
  dfn: { wer: row.dfn_wer, cer: row.dfn_cer, edits: row.dfn_edits as EditCounts, rougeL: row.dfn_rouge_l },
  improvement: row.improvement,
  metricVersion: row.metric_version,
  evaluatedAt: row.evaluated_at.toISOString(),
});

export async function getDraft(db: Kysely<Schema>, id: string): Promise<DraftView | undefined> {
  const [found, evaluations] = await Promise.all([
    db.selectFrom('drafts').selectAll().where('id', '=', id).executeTakeFirst(),
    db.selectFrom('draft_evaluations').selectAll().where('draft_id', '=', id).orderBy('revision').execute(),
  ]);
  if (found === undefined) return undefined;
  const row = found as DraftRow;
  const { hasDfn, ...summary } = draftSummaryOf(row);
  return {
    ...summary,
    text: row.text,
    textHash: row.text_hash,
    metadata: row.metadata,
    dfn: hasDfn
      ? { text: row.dfn_text!, provider: row.dfn_provider!, model: row.dfn_model!, retrieved: row.dfn_retrieved, latencyMs: row.dfn_latency_ms!, generatedAt: row.dfn_generated_at!.toISOString() }
      : null,
    finalNote:
      row.final_note_revision === null
        ? null
        : { text: row.final_note_text!, revision: row.final_note_revision, recordedBy: row.final_note_recorded_by!, recordedAt: row.final_note_recorded_at!.toISOString() },
    evaluations: (evaluations as EvaluationRow[]).map(evaluationOf),
  };
}

export type DraftFilter = Readonly<{ speakerId?: string; status?: DraftStatus; limit: number; cursor?: string }>;

/** Newest ingestion first, without the texts (a page of 100 drafts of 100k characters would weigh 10 MB). */
export async function listDrafts(db: Kysely<Schema>, { speakerId, status, limit, cursor }: DraftFilter): Promise<Page<DraftSummaryView>> {
  let query = db
    .selectFrom('drafts')
    .select(SUMMARY_COLUMNS)
    .orderBy('ingested_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (speakerId !== undefined) query = query.where('speaker_id', '=', speakerId);
  if (status !== undefined) query = query.where('status', '=', status);
  if (cursor !== undefined) {
    const [at, id] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('ingested_at', 'id'), '<', eb.tuple(at, id)));
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(draftSummaryOf), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.ingested_at, last.id) : null };
}
