// The feedback read model's tables and their migrations.
import { sql, type Migration } from 'kysely';
import type { FeedbackCategory, FeedbackStatus, Sentiment } from '../../domain/feedback/events.js';

export interface FeedbackTable {
  id: string;
  text: string;
  rating: number | null;
  source: string | null;
  customer_id: string | null;
  status: FeedbackStatus;
  note: string | null;
  category: FeedbackCategory | null;
  sentiment: Sentiment | null;
  confidence: number | null;
  ai_provider: string | null;
  revision: number;
  submitted_at: Date;
  updated_at: Date;
}

/** Running totals behind /v1/feedback/stats: one row per (dimension, key), e.g. ('status', 'open'). */
export interface FeedbackCountsTable {
  dimension: 'status' | 'rating' | 'day' | 'category' | 'sentiment';
  key: string;
  count: number;
}

declare module '../schema.js' {
  interface Schema {
    feedback: FeedbackTable;
    feedback_counts: FeedbackCountsTable;
  }
}

const feedbackReadModel: Migration = {
  async up(db) {
    await db.schema
      .createTable('feedback')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('rating', 'smallint')
      .addColumn('source', 'text')
      .addColumn('customer_id', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('submitted_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    // Keyset pagination runs newest first, optionally within one status or rating.
    await db.schema.createIndex('feedback_submitted').on('feedback').columns(['submitted_at desc', 'id desc']).execute();
    await db.schema
      .createIndex('feedback_status_submitted')
      .on('feedback')
      .columns(['status', 'submitted_at desc', 'id desc'])
      .execute();
    await db.schema
      .createIndex('feedback_rating_submitted')
      .on('feedback')
      .columns(['rating', 'submitted_at desc', 'id desc'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('feedback').execute();
  },
};

const feedbackTriage: Migration = {
  async up(db) {
    await db.schema
      .alterTable('feedback')
      .addColumn('category', 'text')
      .addColumn('sentiment', 'text')
      .addColumn('confidence', 'real')
      .addColumn('ai_provider', 'text')
      .execute();
    await db.schema.createIndex('feedback_category_submitted').on('feedback').columns(['category', 'submitted_at desc', 'id desc']).execute();
    await db.schema.createIndex('feedback_sentiment_submitted').on('feedback').columns(['sentiment', 'submitted_at desc', 'id desc']).execute();
    // Stats become running totals kept by the projection, instead of a scan of every row per request.
    await db.schema
      .createTable('feedback_counts')
      .addColumn('dimension', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('feedback_counts_pk', ['dimension', 'key'])
      .execute();
    // Existing rows count as they stand: the counts start out equal to what a rebuild would produce.
    await sql`
      insert into feedback_counts (dimension, key, count)
      select 'status', status, count(*) from feedback group by status
      union all select 'rating', rating::text, count(*) from feedback where rating is not null group by rating
      union all select 'day', to_char(submitted_at at time zone 'UTC', 'YYYY-MM-DD'), count(*) from feedback group by 2`.execute(db);
  },
  async down(db) {
    await db.schema.dropTable('feedback_counts').execute();
    await db.schema.dropIndex('feedback_sentiment_submitted').execute();
    await db.schema.dropIndex('feedback_category_submitted').execute();
    await db.schema.alterTable('feedback').dropColumn('ai_provider').dropColumn('confidence').dropColumn('sentiment').dropColumn('category').execute();
  },
};

export const feedbackMigrations: Readonly<Record<string, Migration>> = {
  '0003_feedback_read_model': feedbackReadModel,
  '0004_feedback_triage': feedbackTriage,
};
