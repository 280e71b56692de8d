// The CRM read model's tables and their migration: one row per lead, one per activity. Each keeps a tsvector of its
// searchable text (English configuration), written by the projection, so that `q` is PostgreSQL full-text search
// with a GIN index, the same SQL on PGlite and on PostgreSQL.
import { sql, type Migration } from 'kysely';
import type { ActivityKind, LeadSentiment, LeadStatus } from '../../domain/crm/lead-events.js';

export interface CrmLeadsTable {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  company: string | null;
  source: string | null;
  /** Cents; bigint, which the drivers hand back as text: queries convert it. */
  value_cents: string | number | null;
  status: LeadStatus;
  status_reason: string | null;
  owner_id: string | null;
  archived: boolean;
  activity_count: number;
  last_activity_at: Date | null;
  summary: string | null;
  next_action: string | null;
  sentiment: LeadSentiment | null;
  ai_provider: string | null;
  summarized_at: Date | null;
  revision: number;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  /** to_tsvector('english', name, company, email and its parts): written by the projection's SQL. */
  search: string;
}

export interface CrmActivitiesTable {
  id: string;
  lead_id: string;
  kind: ActivityKind;
  text: string;
  occurred_at: Date;
  logged_by: string;
  logged_at: Date;
  /** to_tsvector('english', text). */
  search: string;
}

declare module '../schema.js' {
  interface Schema {
    crm_leads: CrmLeadsTable;
    crm_activities: CrmActivitiesTable;
  }
}

const crmReadModel: Migration = {
  async up(db) {
    await db.schema
      .createTable('crm_leads')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('phone', 'text')
      .addColumn('company', 'text')
      .addColumn('source', 'text')
      .addColumn('value_cents', 'bigint')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_reason', 'text')
      .addColumn('owner_id', 'text')
      .addColumn('archived', 'boolean', (c) => c.notNull())
      .addColumn('activity_count', 'integer', (c) => c.notNull())
      .addColumn('last_activity_at', 'timestamptz')
      .addColumn('summary', 'text')
      .addColumn('next_action', 'text')
      .addColumn('sentiment', 'text')
      .addColumn('ai_provider', 'text')
      .addColumn('summarized_at', 'timestamptz')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('search', sql`tsvector`, (c) => c.notNull())
      .execute();
    // Lists run newest first within archived or not, optionally within one status or owner.
    await db.schema.createIndex('crm_leads_listed').on('crm_leads').columns(['archived', 'created_at desc', 'id desc']).execute();
    await db.schema.createIndex('crm_leads_status_listed').on('crm_leads').columns(['status', 'archived', 'created_at desc', 'id desc']).execute();
    await db.schema.createIndex('crm_leads_owner_listed').on('crm_leads').columns(['owner_id', 'archived', 'created_at desc', 'id desc']).execute();
    await db.schema.createIndex('crm_leads_search').on('crm_leads').using('gin').column('search').execute();

    await db.schema
      .createTable('crm_activities')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('lead_id', 'uuid', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
      .addColumn('logged_by', 'text', (c) => c.notNull())
      .addColumn('logged_at', 'timestamptz', (c) => c.notNull())
      .addColumn('search', sql`tsvector`, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('crm_activities_of_lead').on('crm_activities').columns(['lead_id', 'occurred_at desc', 'id desc']).execute();
    await db.schema.createIndex('crm_activities_search').on('crm_activities').using('gin').column('search').execute();
  },
  async down(db) {
    await db.schema.dropTable('crm_activities').execute();
    await db.schema.dropTable('crm_leads').execute();
  },
};

export const crmMigrations: Readonly<Record<string, Migration>> = {
  '0023_crm': crmReadModel,
};
