// The feedback read model's tables and their migrations.
import { sql, type Migration } from 'kysely';
import type { FeedbackCategory, FeedbackStatus, Sentiment } from '../../domain/feedback/events.js';

export interface FeedbackTable {
  id: string;
  text: string;
  rating: number | null;
  channel: string | null;
  app_version: string | null;
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

/** What splitSource (domain/feedback/source.ts) takes for an app version, written out here as migrations never change. */
const APP_VERSION = String.raw`^[vV]?[0-9]+(\.[0-9]+)+([-+][0-9A-Za-z.+-]+)?$`;

/** FeedbackSubmitted schema 2: the free-text source parted into channel and app version. */
const feedbackChannel: Migration = {
  async up(db) {
    await db.schema.alterTable('feedback').addColumn('channel', 'text').addColumn('app_version', 'text').execute();
    // splitSource to the letter (a test runs both on the same sources): trim spaces, take the text after the last
    // space, / or @; a version there is the app version, and what precedes it, less those separators, the channel.
    await sql`
      update feedback
      set channel = parted.channel, app_version = parted.app_version
      from (
        select id,
          case when token ~ ${APP_VERSION} then nullif(rtrim(left(trimmed, length(trimmed) - length(token)), ' /@'), '') else nullif(trimmed, '') end as channel,
          case when token ~ ${APP_VERSION} then token end as app_version
        from (select id, trimmed, substring(trimmed from '[^ /@]*$') as token from (select id, btrim(source, ' ') as trimmed from feedback where source is not null) as sources) as tokens
      ) as parted
      where feedback.id = parted.id`.execute(db);
    await db.schema.alterTable('feedback').dropColumn('source').execute();
  },
  async down(db) {
    await db.schema.alterTable('feedback').addColumn('source', 'text').execute();
    await sql`update feedback set source = nullif(concat_ws(' ', channel, app_version), '')`.execute(db);
    await db.schema.alterTable('feedback').dropColumn('app_version').dropColumn('channel').execute();
  },
};

export const feedbackMigrations: Readonly<Record<string, Migration>> = {
  '0003_feedback_read_model': feedbackReadModel,
  '0004_feedback_triage': feedbackTriage,
  '0014_feedback_channel': feedbackChannel,
};
