// The drafts read model's tables and their migration: speakers (with aggregates over their drafts' latest
// evaluations), their bucket history, drafts (with the DFN, the current final note and the latest evaluation's
// figures) and every evaluation. Rows keep their stream's revision, so a redelivered event changes nothing.
import { sql, type Migration } from 'kysely';
import type { Bucket } from '../../domain/drafts/events.js';
import type { Json } from '../schema.js';

export const DRAFT_STATUSES = ['ingested', 'dfn_generated', 'finalized', 'evaluated'] as const;
export type DraftStatus = (typeof DRAFT_STATUSES)[number];

export interface SpeakersTable {
  id: string;
  name: string;
  external_id: string | null;
  specialty: string | null;
  bucket: Bucket;
  created_by: string;
  created_at: Date;
  /** The latest SpeakerBucketRecommended not followed by a reassignment: { from, to, meanRawWer, window, evaluationIds, at }. */
  pending_recommendation: Json | null;
  revision: number;
  /** Aggregates over the speaker's drafts, recomputed from the drafts table whenever a batch touches the speaker. */
  drafts: number;
  /** Drafts with at least one evaluation; the means are over each one's latest evaluation. */
  evaluated_drafts: number;
  mean_raw_wer: number | null;
  mean_dfn_wer: number | null;
  mean_improvement: number | null;
  /** The latest of its drafts' events (ingestion, DFN, final note, evaluation). */
  last_activity_at: Date | null;
}

/** One row per bucket the speaker entered: its creation (from null) and each reassignment. */
export interface SpeakerBucketHistoryTable {
  speaker_id: string;
  /** The speaker stream's revision of the event. */
  revision: number;
  from_bucket: Bucket | null;
  to_bucket: Bucket;
  reason: string | null;
  by: string;
  at: Date;
}

export interface DraftsTable {
  id: string;
  speaker_id: string;
  external_id: string;
  text: string;
  text_hash: string;
  recorded_at: Date | null;
  metadata: Json | null;
  ingested_at: Date;
  dfn_text: string | null;
  dfn_provider: string | null;
  dfn_model: string | null;
  /** The draft ids the DFN learned from. */
  dfn_retrieved: Json | null;
  dfn_latency_ms: number | null;
  dfn_generated_at: Date | null;
  final_note_text: string | null;
  /** The draft stream's revision of the current FinalNoteRecorded: what an evaluation names as its finalNoteRevision. */
  final_note_revision: number | null;
  final_note_recorded_by: string | null;
  final_note_recorded_at: Date | null;
  /** How many final notes were recorded (the latest is the current one). */
  final_notes: number;
  /** evaluated: the current final note has an evaluation; finalized: it has none yet; dfn_generated: a DFN and no final note; ingested otherwise. */
  status: DraftStatus;
  last_evaluation_id: string | null;
  last_raw_wer: number | null;
  last_dfn_wer: number | null;
  last_improvement: number | null;
  last_evaluated_at: Date | null;
  last_activity_at: Date;
  revision: number;
}

/** One row per EvaluationCompleted; earlier evaluations stay when a new final note is evaluated. */
export interface DraftEvaluationsTable {
  evaluation_id: string;
  draft_id: string;
  speaker_id: string;
  bucket: Bucket;
  final_note_revision: number;
  raw_wer: number;
  raw_cer: number;
  raw_edits: Json;
  dfn_wer: number;
  dfn_cer: number;
  dfn_edits: Json;
  dfn_rouge_l: number;
  improvement: number;
  metric_version: number;
  evaluated_at: Date;
  /** The draft stream's revision of the event. */
  revision: number;
}

declare module '../schema.js' {
  interface Schema {
    speakers: SpeakersTable;
    speaker_bucket_history: SpeakerBucketHistoryTable;
    drafts: DraftsTable;
    draft_evaluations: DraftEvaluationsTable;
  }
}

const draftsReadModels: Migration = {
  async up(db) {
    await db.schema
      .createTable('speakers')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text')
      .addColumn('specialty', 'text')
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('pending_recommendation', 'jsonb')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('drafts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('evaluated_drafts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('mean_raw_wer', 'double precision')
      .addColumn('mean_dfn_wer', 'double precision')
      .addColumn('mean_improvement', 'double precision')
      .addColumn('last_activity_at', 'timestamptz')
      .execute();
    // Keyset pagination, newest first, of all speakers or one bucket's.
    await db.schema.createIndex('speakers_created').on('speakers').columns(['created_at desc', 'id desc']).execute();
    await db.schema.createIndex('speakers_bucket_created').on('speakers').columns(['bucket', 'created_at desc', 'id desc']).execute();

    await db.schema
      .createTable('speaker_bucket_history')
      .addColumn('speaker_id', 'uuid', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('from_bucket', 'text')
      .addColumn('to_bucket', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('by', 'text', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('speaker_bucket_history_pkey', ['speaker_id', 'revision'])
      .execute();

    await db.schema
      .createTable('drafts')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('speaker_id', 'uuid', (c) => c.notNull())
      .addColumn('external_id', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('text_hash', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz')
      .addColumn('metadata', 'jsonb')
      .addColumn('ingested_at', 'timestamptz', (c) => c.notNull())
      .addColumn('dfn_text', 'text')
      .addColumn('dfn_provider', 'text')
      .addColumn('dfn_model', 'text')
      .addColumn('dfn_retrieved', 'jsonb')
      .addColumn('dfn_latency_ms', 'integer')
      .addColumn('dfn_generated_at', 'timestamptz')
      .addColumn('final_note_text', 'text')
      .addColumn('final_note_revision', 'integer')
      .addColumn('final_note_recorded_by', 'text')
      .addColumn('final_note_recorded_at', 'timestamptz')
      .addColumn('final_notes', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('last_evaluation_id', 'text')
      .addColumn('last_raw_wer', 'double precision')
      .addColumn('last_dfn_wer', 'double precision')
      .addColumn('last_improvement', 'double precision')
      .addColumn('last_evaluated_at', 'timestamptz')
      .addColumn('last_activity_at', 'timestamptz', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();
    // Pages of all drafts, of one speaker's, of one status's, newest ingestion first; and the aggregates per speaker.
    await db.schema.createIndex('drafts_ingested').on('drafts').columns(['ingested_at desc', 'id desc']).execute();
    await db.schema.createIndex('drafts_speaker_ingested').on('drafts').columns(['speaker_id', 'ingested_at desc', 'id desc']).execute();
    await db.schema.createIndex('drafts_status_ingested').on('drafts').columns(['status', 'ingested_at desc', 'id desc']).execute();

    await db.schema
      .createTable('draft_evaluations')
      .addColumn('evaluation_id', 'text', (c) => c.primaryKey())
      .addColumn('draft_id', 'uuid', (c) => c.notNull())
      .addColumn('speaker_id', 'uuid', (c) => c.notNull())
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('final_note_revision', 'integer', (c) => c.notNull())
      .addColumn('raw_wer', 'double precision', (c) => c.notNull())
      .addColumn('raw_cer', 'double precision', (c) => c.notNull())
      .addColumn('raw_edits', 'jsonb', (c) => c.notNull())
      .addColumn('dfn_wer', 'double precision', (c) => c.notNull())
      .addColumn('dfn_cer', 'double precision', (c) => c.notNull())
      .addColumn('dfn_edits', 'jsonb', (c) => c.notNull())
      .addColumn('dfn_rouge_l', 'double precision', (c) => c.notNull())
      .addColumn('improvement', 'double precision', (c) => c.notNull())
      .addColumn('metric_version', 'integer', (c) => c.notNull())
      .addColumn('evaluated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('draft_evaluations_draft').on('draft_evaluations').columns(['draft_id', 'revision']).execute();
    // The dashboard reads evaluations by time; the bucket recommendation reads a speaker's latest ones.
    await sql`create index draft_evaluations_evaluated on draft_evaluations (evaluated_at)`.execute(db);
    await db.schema.createIndex('draft_evaluations_speaker_evaluated').on('draft_evaluations').columns(['speaker_id', 'evaluated_at desc']).execute();
  },
  async down(db) {
    for (const table of ['draft_evaluations', 'drafts', 'speaker_bucket_history', 'speakers']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};

export const draftsMigrations: Readonly<Record<string, Migration>> = {
  '0020_drafts': draftsReadModels,
};
