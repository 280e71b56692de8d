// A rebuild builds the drafts-retrieval tables as copies beside the live ones: the copy must keep the generated
// search vector and its GIN index, or a rebuilt read model would retrieve nothing (or scan every pair).
import test from 'ava';
import { sql } from 'kysely';
import { createEmptyCopies, dropSchema } from '../../projections/rebuild/build-schemas.js';
import { draftsRetrievalProjection } from '../../projections/drafts/retrieval-projection.js';
import { embeddedTestDatabase } from '../support/databases.js';

test('the copies a rebuild makes keep the generated search vector and the GIN index', async (t) => {
  const testDb = await embeddedTestDatabase();
  t.teardown(() => testDb.drop());
  const { db } = testDb.database;
  await createEmptyCopies(db, draftsRetrievalProjection.tables, 'drafts_rebuild_test');
  await sql`insert into drafts_rebuild_test.drafts_retrieval_pairs (draft_id, speaker_id, draft_text, final_note, final_note_revision, ingested_at)
            values ('d1', 's1', 'hyper tension', 'Hypertension.', 1, now())`.execute(db);
  const { rows } = await sql<{ draft_search: string }>`select draft_search::text from drafts_rebuild_test.drafts_retrieval_pairs`.execute(db);
  t.deepEqual(rows, [{ draft_search: `'hyper':1 'tension':2` }]);
  const { rows: indexes } = await sql<{ definition: string }>`
    select indexdef as definition from pg_indexes where schemaname = 'drafts_rebuild_test' and tablename = 'drafts_retrieval_pairs' order by indexname`.execute(db);
  t.true(indexes.some(({ definition }) => /USING gin \(draft_search\)/.test(definition)), JSON.stringify(indexes));
  await dropSchema(db, 'drafts_rebuild_test');
});
