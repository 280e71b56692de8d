// The projection runtime's tables (projection checkpoints and per-stream revisions, consumer checkpoints,
// Kafka offsets, dead letters) and their migrations.
import { sql, type ColumnType, type Generated, type Migration } from 'kysely';
import type { Int8, Json } from './schema.js';

export interface ProjectionsTable {
  name: string;
  version: number;
  checkpoint: string | null;
  last_error: string | null;
  last_error_at: Date | null;
  updated_at: Date;
  applied_batches: ColumnType<string | number, string | number | bigint | undefined, string | number | bigint>;
  /** Which build of the read model is live: its per-stream revisions are kept under streamsKeyOf(name, generation). */
  generation: ColumnType<number, number | undefined, number>;
  /** The build a rebuild swapped out, kept (in its own schema) for a rollback until dropped. */
  previous_generation: number | null;
  previous_version: number | null;
  /** Every event up to here was applied to the previous build when it was swapped out: a rollback catches up from it. */
  previous_position: string | null;
}

export type RebuildStatus = 'building' | 'completed' | 'failed';

/** A rebuild of a projection, running or last run: its checkpoint is committed with each batch, so it resumes. */
export interface ProjectionRebuildsTable {
  projection: string;
  generation: number;
  version: number;
  status: RebuildStatus;
  checkpoint: string | null;
  processed: Int8;
  /** Events it has to apply in all, as counted when it (re)started. */
  total: Int8;
  rate: number;
  eta_seconds: number | null;
  last_error: string | null;
  holder: string;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface ProjectionVerificationsTable {
  id: string;
  projection: string;
  status: 'running' | 'completed' | 'failed';
  missing: number;
  extra: number;
  different: number;
  examples: Json;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

export interface ProjectionStreamsTable {
  projection: string;
  stream_id: string;
  revision: Int8;
}

export interface CheckpointsTable {
  name: string;
  position: string;
  updated_at: Generated<Date>;
}

export interface ProjectionOffsetsTable {
  projection: string;
  topic: string;
  partition: number;
  offset: Int8;
  /** The newest relay watermark applied from this partition: every event up to it that the partition carries is applied. */
  watermark: ColumnType<string | null, string | null | undefined, string | null>;
  updated_at: Generated<Date>;
}

export type DeadLetterStatus = 'open' | 'resolved' | 'discarded';

export interface DeadLettersTable {
  id: ColumnType<string | number, undefined, never>;
  /** `projection.<name>` or `enricher.<name>`. */
  consumer: string;
  event_id: string;
  stream_id: string;
  revision: Int8;
  position: string;
  event: Json;
  error: string;
  attempts: number;
  status: DeadLetterStatus;
  first_failed_at: Date;
  last_failed_at: Date;
  resolved_at: Date | null;
}

declare module './schema.js' {
  interface Schema {
    projections: ProjectionsTable;
    projection_streams: ProjectionStreamsTable;
    checkpoints: CheckpointsTable;
    projection_offsets: ProjectionOffsetsTable;
    dead_letters: DeadLettersTable;
    projection_rebuilds: ProjectionRebuildsTable;
    projection_verifications: ProjectionVerificationsTable;
  }
}

const projections: Migration = {
  async up(db) {
    await db.schema
      .createTable('projections')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('checkpoint', 'text')
      .addColumn('last_error', 'text')
      .addColumn('last_error_at', 'timestamptz')
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .createTable('projection_streams')
      .addColumn('projection', 'text', (c) => c.notNull())
      .addColumn('stream_id', 'text', (c) => c.notNull())
      .addColumn('revision', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('projection_streams_pk', ['projection', 'stream_id'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('projection_streams').execute();
    await db.schema.dropTable('projections').execute();
  },
};

const consumers: Migration = {
  async up(db) {
    // Where the relay and the enrichers have read the log up to, when they read it from the store.
    await db.schema
      .createTable('checkpoints')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('position', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    // Bumped by every batch that changed a read model: what cache keys are made of.
    await db.schema.alterTable('projections').addColumn('applied_batches', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    // Kafka offsets a projection has applied, written in the same transaction as its rows.
    await db.schema
      .createTable('projection_offsets')
      .addColumn('projection', 'text', (c) => c.notNull())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('partition', 'integer', (c) => c.notNull())
      .addColumn('offset', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('projection_offsets_pk', ['projection', 'topic', 'partition'])
      .execute();
    await db.schema
      .createTable('dead_letters')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('projection', 'text', (c) => c.notNull())
      .addColumn('event_id', 'uuid', (c) => c.notNull())
      .addColumn('stream_id', 'text', (c) => c.notNull())
      .addColumn('revision', 'bigint', (c) => c.notNull())
      .addColumn('position', 'text', (c) => c.notNull())
      .addColumn('event', 'jsonb', (c) => c.notNull())
      .addColumn('error', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('first_failed_at', 'timestamptz', (c) => c.notNull())
      .addColumn('last_failed_at', 'timestamptz', (c) => c.notNull())
      .addColumn('resolved_at', 'timestamptz')
      .addUniqueConstraint('dead_letters_projection_event_unique', ['projection', 'event_id'])
      .execute();
    await db.schema.createIndex('dead_letters_open_streams').on('dead_letters').columns(['projection', 'stream_id', 'revision']).where(sql.ref('status'), '=', 'open').execute();
  },
  async down(db) {
    await db.schema.dropTable('dead_letters').execute();
    await db.schema.dropTable('projection_offsets').execute();
    await db.schema.alterTable('projections').dropColumn('applied_batches').execute();
    await db.schema.dropTable('checkpoints').execute();
  },
};

const deadLettersOfAnyConsumer: Migration = {
  async up(db) {
    // Enrichers park events too: a letter belongs to a consumer (`projection.feedback`, `enricher.feedback-triage`).
    await db.schema.alterTable('dead_letters').renameColumn('projection', 'consumer').execute();
    await sql`update dead_letters set consumer = 'projection.' || consumer`.execute(db);
    await sql`alter table dead_letters rename constraint dead_letters_projection_event_unique to dead_letters_consumer_event_unique`.execute(db);
  },
  async down(db) {
    // The old layout has no place for an enricher's letters.
    await sql`delete from dead_letters where consumer not like 'projection.%'`.execute(db);
    await sql`update dead_letters set consumer = substr(consumer, length('projection.') + 1)`.execute(db);
    await sql`alter table dead_letters rename constraint dead_letters_consumer_event_unique to dead_letters_projection_event_unique`.execute(db);
    await db.schema.alterTable('dead_letters').renameColumn('consumer', 'projection').execute();
  },
};

const partitionWatermarks: Migration = {
  async up(db) {
    await db.schema.alterTable('projection_offsets').addColumn('watermark', 'text').execute();
  },
  async down(db) {
    await db.schema.alterTable('projection_offsets').dropColumn('watermark').execute();
  },
};

const projectionGenerations: Migration = {
  async up(db) {
    await db.schema
      .alterTable('projections')
      .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('previous_generation', 'integer')
      .addColumn('previous_version', 'integer')
      .addColumn('previous_position', 'text')
      .execute();
    await db.schema
      .createTable('projection_rebuilds')
      .addColumn('projection', 'text', (c) => c.primaryKey())
      .addColumn('generation', 'integer', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('checkpoint', 'text')
      .addColumn('processed', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('total', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('rate', 'real', (c) => c.notNull().defaultTo(0))
      .addColumn('eta_seconds', 'real')
      .addColumn('last_error', 'text')
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('started_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('finished_at', 'timestamptz')
      .execute();
    await db.schema
      .createTable('projection_verifications')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('projection', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('missing', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('extra', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('different', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('examples', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('error', 'text')
      .addColumn('started_at', 'timestamptz', (c) => c.notNull())
      .addColumn('finished_at', 'timestamptz')
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('projection_verifications').execute();
    await db.schema.dropTable('projection_rebuilds').execute();
    await db.schema
      .alterTable('projections')
      .dropColumn('previous_position')
      .dropColumn('previous_version')
      .dropColumn('previous_generation')
      .dropColumn('generation')
      .execute();
  },
};

export const runtimeMigrations: Readonly<Record<string, Migration>> = {
  '0002_projections': projections,
  '0005_consumers': consumers,
  '0008_dead_letters_of_any_consumer': deadLettersOfAnyConsumer,
  '0010_partition_watermarks': partitionWatermarks,
  '0015_projection_generations': projectionGenerations,
};
