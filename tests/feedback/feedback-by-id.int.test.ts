// Reads of one feedback item by id, on PGlite and on a PostgreSQL server: reads asked together share one
// statement and each gets its own item (or none); a lone read, a read in upper case and a read in a transaction
// still answer (the last in the order asked), and an id the database refuses fails only its own read.
import test, { type ExecutionContext } from 'ava';
import type { Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { getFeedback } from '../../projections/feedback/feedback-queries.js';
import type { Schema } from '../../projections/schema.js';
import { embeddedTestDatabase, serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { statementCounter } from '../support/statement-counter.js';

async function insertFeedback(db: Kysely<Schema>, ids: readonly string[]): Promise<void> {
  const at = new Date('2026-11-20T09:30:00.000Z');
  await db
    .insertInto('feedback')
    .values(
      ids.map((id, i) => ({
        id,
        text: `feedback ${i}`,
        rating: (i % 5) + 1,
        channel: null,
        app_version: null,
        customer_id: null,
        status: 'open' as const,
        note: null,
        category: null,
        sentiment: null,
        confidence: null,
        ai_provider: null,
        revision: i,
        submitted_at: at,
        updated_at: at,
      })),
    )
    .execute();
}

async function readsById(t: ExecutionContext, open: () => Promise<TestDatabase>): Promise<void> {
  const testDb = await open();
  t.teardown(() => testDb.drop());
  const ids = Array.from({ length: 40 }, () => uuidv7());
  await insertFeedback(testDb.database.db, ids);
  const counter = statementCounter();
  const db = testDb.database.db.withPlugin(counter.plugin);
  const statements = counter.count;

  const missing = Array.from({ length: 5 }, () => uuidv7());
  const asked = [...ids, ...missing, ids[0]!, ids[7]!];
  const views = await Promise.all(asked.map((id) => getFeedback(db, id)));
  t.is(statements(), 1, 'reads asked in one turn share one statement');
  asked.forEach((id, i) => {
    const view = views[i];
    if (missing.includes(id)) t.is(view, undefined);
    else t.like(view, { id, text: `feedback ${ids.indexOf(id)}`, revision: ids.indexOf(id), status: 'open', submittedAt: '2026-11-20T09:30:00.000Z' });
  });

  t.like(await getFeedback(db, ids[3]!), { id: ids[3], text: 'feedback 3' }, 'a lone read');
  t.is(statements(), 2);

  // Upper case finds the item as it always did; an id the database refuses fails its own read and no other.
  const [upper, malformed, beside] = await Promise.allSettled([getFeedback(db, ids[4]!.toUpperCase()), getFeedback(db, 'not-a-uuid'), getFeedback(db, ids[5]!)]);
  t.like(upper.status === 'fulfilled' ? upper.value : upper.reason, { id: ids[4] });
  t.is(malformed.status, 'rejected');
  t.like(beside.status === 'fulfilled' ? beside.value : beside.reason, { id: ids[5] });
  t.is(statements(), 4, 'the two uuids shared a statement; the malformed id went alone');

  t.is(await getFeedback(db, missing[0]!), undefined);
  t.is(statements(), 5);

  // In a transaction statements run in the order they are asked for: a read is not put off past a later write.
  const [before, after] = await db.transaction().execute(async (tx) => {
    const asked = getFeedback(tx, ids[6]!);
    await tx.updateTable('feedback').set({ status: 'resolved' }).where('id', '=', ids[6]!).execute();
    return Promise.all([asked, getFeedback(tx, ids[6]!)]);
  });
  t.like(before, { id: ids[6], status: 'open' }, 'asked before the update, it did not see it');
  t.like(after, { id: ids[6], status: 'resolved' }, 'asked after it, it sees the write');
}

test('embedded: reads by id asked together share one statement', (t) => readsById(t, embeddedTestDatabase));

const databaseUrl = serviceUrl('DATABASE_URL', 'feedback reads by id on a PostgreSQL server');
if (databaseUrl !== undefined) {
  test('PostgreSQL: reads by id asked together share one statement', (t) => readsById(t, () => serverTestDatabase(databaseUrl)));
}
