// Schema migrations, in order. Kysely's Migrator takes an advisory lock, so concurrent starts are safe.
import { Migrator, sql, type Kysely, type Migration, type MigrationResult } from 'kysely';

const eventStore: Migration = {
  async up(db) {
    // position = (transaction id << 16) + index within the append: see postgres-event-store.ts.
    await db.schema
      .createTable('events')
      .addColumn('position', 'bigint', (c) => c.primaryKey())
      .addColumn('event_id', 'uuid', (c) => c.notNull())
      .addColumn('stream_id', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('revision', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('data', 'jsonb', (c) => c.notNull())
      .addColumn('metadata', 'jsonb', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addUniqueConstraint('events_event_id_unique', ['event_id'])
      .addUniqueConstraint('events_stream_revision_unique', ['stream_id', 'revision'])
      .execute();
    await db.schema.createIndex('events_category_position').on('events').columns(['category', 'position']).execute();
    await db.schema
      .createTable('streams')
      .addColumn('stream_id', 'text', (c) => c.primaryKey())
      .addColumn('revision', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('streams').execute();
    await db.schema.dropTable('events').execute();
  },
};

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

const instanceIdentity: Migration = {
  async up(db) {
    // Names this database (and its replicas, which copy it) wherever shared infrastructure needs to tell
    // databases apart, such as cache keys in a Redis that several deployments use.
    await db.schema
      .createTable('instance')
      .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await sql`insert into instance default values`.execute(db);
  },
  async down(db) {
    await db.schema.dropTable('instance').execute();
  },
};

const idempotencyKeys: Migration = {
  async up(db) {
    // Responses to POSTs sent with an Idempotency-Key, so that a retry gets the first answer again.
    await db.schema
      .createTable('idempotency_keys')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('status', 'integer')
      .addColumn('response', 'jsonb')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema.createIndex('idempotency_keys_created').on('idempotency_keys').column('created_at').execute();
  },
  async down(db) {
    await db.schema.dropTable('idempotency_keys').execute();
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

const idempotencyLeases: Migration = {
  async up(db) {
    // A claim is a lease: a request that never finished (its process died) no longer blocks its key for a day.
    // The claim id tells the claimant's own row from a row a retry took over after the lease ran out.
    await db.schema.alterTable('idempotency_keys').addColumn('claim_id', 'uuid').addColumn('lease_until', 'timestamptz').execute();
    await sql`update idempotency_keys set lease_until = now() where status is null`.execute(db);
  },
  async down(db) {
    await db.schema.alterTable('idempotency_keys').dropColumn('lease_until').dropColumn('claim_id').execute();
  },
};

const migrations: Record<string, Migration> = {
  '0001_event_store': eventStore,
  '0002_projections': projections,
  '0003_feedback_read_model': feedbackReadModel,
  '0004_feedback_triage': feedbackTriage,
  '0005_consumers': consumers,
  '0006_instance_identity': instanceIdentity,
  '0007_idempotency_keys': idempotencyKeys,
  '0008_dead_letters_of_any_consumer': deadLettersOfAnyConsumer,
  '0009_idempotency_leases': idempotencyLeases,
};

// Migrations see the database before they shape it, so the Migrator works on an untyped Kysely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDatabase = Kysely<any>;

export const createMigrator = (db: AnyDatabase): Migrator =>
  new Migrator({ db, provider: { getMigrations: async () => migrations } });

/** Runs a migration step and throws with the failing migration's name when one fails. */
export async function migrate(db: AnyDatabase, direction: 'up' | 'down'): Promise<readonly MigrationResult[]> {
  const migrator = createMigrator(db);
  const { error, results } = direction === 'up' ? await migrator.migrateToLatest() : await migrator.migrateDown();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return results ?? [];
}
