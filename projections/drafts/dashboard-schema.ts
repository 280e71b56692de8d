// The drafts dashboard's tables (projection drafts-dashboard) and their migration: one row per draft with its latest
// evaluation, every evaluation (the bucket recommender's window reads them), and each speaker's current bucket.
import type { Migration } from 'kysely';
import type { Bucket } from '../../domain/drafts/events.js';

/** A draft, counted on its day, with the figures of its latest evaluation (null until evaluated). */
export interface DraftsDashboardDraftsTable {
  draft_id: string;
  speaker_id: string;
  /** UTC day (YYYY-MM-DD) of recordedAt, else of the ingestion. */
  day: string;
  /** The draft stream's last revision applied. */
  revision: number;
  evaluation_id: string | null;
  final_note_revision: number | null;
  /** The speaker's bucket when the draft was evaluated. */
  bucket: Bucket | null;
  raw_wer: number | null;
  dfn_wer: number | null;
  improvement: number | null;
}

/** Every evaluation, earlier ones of a draft included, with where it stands in the log. */
export interface DraftsDashboardEvaluationsTable {
  evaluation_id: string;
  draft_id: string;
  speaker_id: string;
  final_note_revision: number;
  raw_wer: number;
  /** The event's position, opaque: compared only through the store. */
  position: string;
  evaluated_at: Date;
}

/** Each speaker's bucket now: where a draft not evaluated yet is counted. */
export interface DraftsDashboardSpeakersTable {
  speaker_id: string;
  bucket: Bucket;
  revision: number;
}

declare module '../schema.js' {
  interface Schema {
    drafts_dashboard_drafts: DraftsDashboardDraftsTable;
    drafts_dashboard_evaluations: DraftsDashboardEvaluationsTable;
    drafts_dashboard_speakers: DraftsDashboardSpeakersTable;
  }
}

const draftsDashboard: Migration = {
  async up(db) {
    await db.schema
      .createTable('drafts_dashboard_drafts')
      .addColumn('draft_id', 'text', (c) => c.primaryKey())
      .addColumn('speaker_id', 'text', (c) => c.notNull())
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('evaluation_id', 'text')
      .addColumn('final_note_revision', 'integer')
      .addColumn('bucket', 'text')
      .addColumn('raw_wer', 'double precision')
      .addColumn('dfn_wer', 'double precision')
      .addColumn('improvement', 'double precision')
      .execute();
    // The dashboard reads a range of days.
    await db.schema.createIndex('drafts_dashboard_drafts_day').on('drafts_dashboard_drafts').columns(['day', 'speaker_id']).execute();
    await db.schema
      .createTable('drafts_dashboard_evaluations')
      .addColumn('evaluation_id', 'text', (c) => c.primaryKey())
      .addColumn('draft_id', 'text', (c) => c.notNull())
      .addColumn('speaker_id', 'text', (c) => c.notNull())
      .addColumn('final_note_revision', 'integer', (c) => c.notNull())
      .addColumn('raw_wer', 'double precision', (c) => c.notNull())
      .addColumn('position', 'text', (c) => c.notNull())
      .addColumn('evaluated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    // The recommender reads one speaker's evaluations, newest first.
    await db.schema.createIndex('drafts_dashboard_evaluations_speaker').on('drafts_dashboard_evaluations').columns(['speaker_id', 'evaluated_at desc']).execute();
    await db.schema
      .createTable('drafts_dashboard_speakers')
      .addColumn('speaker_id', 'text', (c) => c.primaryKey())
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('drafts_dashboard_speakers').execute();
    await db.schema.dropTable('drafts_dashboard_evaluations').execute();
    await db.schema.dropTable('drafts_dashboard_drafts').execute();
  },
};

export const draftsDashboardMigrations: Readonly<Record<string, Migration>> = { '0021_drafts_dashboard': draftsDashboard };
