// The diagrams read model's tables and their migration: one row per diagram (its latest source, and a tsvector of
// its title and that source for `q`), and one row per version.
import { sql, type Migration } from 'kysely';
import type { DiagramFormat, DiagramVisibility } from '../../domain/diagrams/diagram-events.js';

export interface DiagramsTable {
  id: string;
  owner_id: string;
  title: string;
  format: DiagramFormat;
  visibility: DiagramVisibility;
  latest_version: number;
  /** The latest version's source and its sha256. */
  source: string;
  source_hash: string;
  deleted: boolean;
  /** Set when the AI chain wrote the first version (DiagramGenerated). */
  prompt: string | null;
  ai_provider: string | null;
  ai_model: string | null;
  revision: number;
  /** The log position of the stream's latest event applied: the live stream's event id. */
  position: string;
  created_at: Date;
  updated_at: Date;
  /** to_tsvector('english', title and the latest source): written by the projection's SQL. */
  search: string;
}

export interface DiagramVersionsTable {
  diagram_id: string;
  version: number;
  source: string;
  source_hash: string;
  message: string | null;
  author: string;
  created_at: Date;
  restored_from: number | null;
}

declare module '../schema.js' {
  interface Schema {
    diagrams: DiagramsTable;
    diagram_versions: DiagramVersionsTable;
  }
}

const diagramsReadModel: Migration = {
  async up(db) {
    await db.schema
      .createTable('diagrams')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('visibility', 'text', (c) => c.notNull())
      .addColumn('latest_version', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('source_hash', 'text', (c) => c.notNull())
      .addColumn('deleted', 'boolean', (c) => c.notNull())
      .addColumn('prompt', 'text')
      .addColumn('ai_provider', 'text')
      .addColumn('ai_model', 'text')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('position', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('search', sql`tsvector`, (c) => c.notNull())
      .execute();
    // Lists run newest first, of everyone's shared diagrams or of one owner's.
    await db.schema.createIndex('diagrams_listed').on('diagrams').columns(['deleted', 'created_at desc', 'id desc']).execute();
    await db.schema.createIndex('diagrams_owner_listed').on('diagrams').columns(['owner_id', 'deleted', 'created_at desc', 'id desc']).execute();
    await db.schema.createIndex('diagrams_search').on('diagrams').using('gin').column('search').execute();

    await db.schema
      .createTable('diagram_versions')
      .addColumn('diagram_id', 'uuid', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('source_hash', 'text', (c) => c.notNull())
      .addColumn('message', 'text')
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('restored_from', 'integer')
      .addPrimaryKeyConstraint('diagram_versions_pkey', ['diagram_id', 'version'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('diagram_versions').execute();
    await db.schema.dropTable('diagrams').execute();
  },
};

export const diagramsMigrations: Readonly<Record<string, Migration>> = {
  '0024_diagrams': diagramsReadModel,
};
