// The DFN retrieval read model: every draft that has a final note as a (draft, final note) pair with the draft's
// text-search vector, and each speaker's specialty (joined at query time: a speaker's events and a draft's travel
// on different streams and may be projected in either order).
import { sql, type Migration } from 'kysely';

export interface DraftsRetrievalSpeakersTable {
  speaker_id: string;
  specialty: string | null;
}

export interface DraftsRetrievalPairsTable {
  draft_id: string;
  speaker_id: string;
  draft_text: string;
  /** The latest final note; null until one is recorded (such a draft is never retrieved). */
  final_note: string | null;
  /** The draft stream's revision of that final note: an older or repeated one changes nothing. */
  final_note_revision: number | null;
  ingested_at: Date;
}

declare module '../schema.js' {
  interface Schema {
    drafts_retrieval_speakers: DraftsRetrievalSpeakersTable;
    drafts_retrieval_pairs: DraftsRetrievalPairsTable;
  }
}

const draftsRetrieval: Migration = {
  async up(db) {
    await db.schema
      .createTable('drafts_retrieval_speakers')
      .addColumn('speaker_id', 'text', (c) => c.primaryKey())
      .addColumn('specialty', 'text')
      .execute();
    await db.schema.createIndex('drafts_retrieval_speakers_specialty').on('drafts_retrieval_speakers').columns(['specialty', 'speaker_id']).execute();
    await db.schema
      .createTable('drafts_retrieval_pairs')
      .addColumn('draft_id', 'text', (c) => c.primaryKey())
      .addColumn('speaker_id', 'text', (c) => c.notNull())
      .addColumn('draft_text', 'text', (c) => c.notNull())
      .addColumn('final_note', 'text')
      .addColumn('final_note_revision', 'integer')
      .addColumn('ingested_at', 'timestamptz', (c) => c.notNull())
      // 'simple': no stemming and no stop words, so that clinical terms and misrecognitions match as spoken.
      .addColumn('draft_search', sql`tsvector`, (c) => c.generatedAlwaysAs(sql`to_tsvector('simple'::regconfig, draft_text)`).stored())
      .execute();
    await sql`create index drafts_retrieval_pairs_search on drafts_retrieval_pairs using gin (draft_search)`.execute(db);
    await db.schema.createIndex('drafts_retrieval_pairs_speaker').on('drafts_retrieval_pairs').columns(['speaker_id', 'ingested_at desc']).execute();
    // pg_trgm where the server has it (PostgreSQL's contrib; PGlite only when opened with it): the retriever then
    // also ranks by trigram similarity, which forgives misrecognised spellings that whole-word search misses.
    // Without it (or without the right to create it) the retriever ranks by text search alone.
    await sql`
      do $$
      begin
        create extension if not exists pg_trgm;
      exception when others then
        raise notice 'pg_trgm not available: drafts retrieval ranks by text search alone';
      end
      $$`.execute(db);
  },
  async down(db) {
    await db.schema.dropTable('drafts_retrieval_pairs').execute();
    await db.schema.dropTable('drafts_retrieval_speakers').execute();
  },
};

export const draftsRetrievalMigrations: Readonly<Record<string, Migration>> = {
  '0022_drafts_retrieval': draftsRetrieval,
};
