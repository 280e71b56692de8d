// The HTTP layer's table of Idempotency-Key claims and responses, and its migrations.
import { sql, type ColumnType, type Generated, type Migration } from 'kysely';

export interface IdempotencyKeysTable {
  key: string;
  fingerprint: string;
  status: number | null;
  response: ColumnType<unknown, string | null, string | null>;
  /** When the key was first claimed: its expiry, and the time part of the ids its request mints. */
  created_at: Generated<Date>;
  /** Who holds the claim now; null once the response is stored. */
  claim_id: string | null;
  /** A claim whose request has not finished by then may be taken over by a retry; null once the response is stored. */
  lease_until: Date | null;
}

declare module '../../projections/schema.js' {
  interface Schema {
    idempotency_keys: IdempotencyKeysTable;
  }
}

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

export const idempotencyMigrations: Readonly<Record<string, Migration>> = {
  '0007_idempotency_keys': idempotencyKeys,
  '0009_idempotency_leases': idempotencyLeases,
};
