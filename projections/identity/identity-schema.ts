// The identity context's tables: password hashes kept beside the events (never in them), and the read models of
// API keys and of the security audit trail.
import type { ColumnType, Migration } from 'kysely';
import type { AuditActor, AuditType } from '../../domain/identity/audit-events.js';
import type { Role } from '../../domain/identity/roles.js';

/** Written by the Credentials adapter, not by a projection: a hash must be replaceable and reach no consumer. */
export interface UserCredentialsTable {
  user_id: string;
  password_hash: string;
  updated_at: Date;
}

/** One row per API key. The key's hash stays in its events: a read model is read by more than the login path. */
export interface ApiKeysTable {
  id: string;
  owner_id: string;
  name: string;
  /** jsonb: one array per row goes through unnest() as one jsonb element, where a text[] would be flattened. */
  roles: ColumnType<readonly Role[], string, string>;
  created_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
  revision: number;
}

/** One row per AuditRecorded event. */
export interface AuditEntriesTable {
  event_id: string;
  type: AuditType;
  /** actor.sub, apart, for the filter by actor and its index. */
  actor_sub: string;
  actor: ColumnType<AuditActor, string, string>;
  method: string;
  route: string;
  ip: string;
  correlation_id: string;
  reason: string;
  subject: string | null;
  count: number;
  occurred_at: Date;
}

declare module '../schema.js' {
  interface Schema {
    user_credentials: UserCredentialsTable;
    api_keys: ApiKeysTable;
    audit_entries: AuditEntriesTable;
  }
}

const identity: Migration = {
  async up(db) {
    await db.schema
      .createTable('user_credentials')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('roles', 'jsonb', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('revoked_at', 'timestamptz')
      .addColumn('revoked_by', 'text')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();
    // Keyset pagination runs newest first, over one owner's keys or over all of them.
    await db.schema.createIndex('api_keys_owner_created').on('api_keys').columns(['owner_id', 'created_at desc', 'id desc']).execute();
    await db.schema.createIndex('api_keys_created').on('api_keys').columns(['created_at desc', 'id desc']).execute();

    await db.schema
      .createTable('audit_entries')
      .addColumn('event_id', 'uuid', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('actor_sub', 'text', (c) => c.notNull())
      .addColumn('actor', 'jsonb', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('route', 'text', (c) => c.notNull())
      .addColumn('ip', 'text', (c) => c.notNull())
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
      .execute();
    // Newest first, overall, within one type, or of one actor.
    await db.schema.createIndex('audit_entries_occurred').on('audit_entries').columns(['occurred_at desc', 'event_id desc']).execute();
    await db.schema.createIndex('audit_entries_type_occurred').on('audit_entries').columns(['type', 'occurred_at desc', 'event_id desc']).execute();
    await db.schema.createIndex('audit_entries_actor_occurred').on('audit_entries').columns(['actor_sub', 'occurred_at desc', 'event_id desc']).execute();
  },
  async down(db) {
    await db.schema.dropTable('audit_entries').execute();
    await db.schema.dropTable('api_keys').execute();
    await db.schema.dropTable('user_credentials').execute();
  },
};

export const identityMigrations: Readonly<Record<string, Migration>> = { '0012_identity': identity };
