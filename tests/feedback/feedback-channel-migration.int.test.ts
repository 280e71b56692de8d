// Migration 0014_feedback_channel parts the read model's stored sources in SQL: on PGlite, and on PostgreSQL when
// DATABASE_URL is set, every tricky source must come out as splitSource parts it, and the way down joins them back.
import test from 'ava';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { joinSource, splitSource } from '../../domain/feedback/source.js';
import { createMigrator, migrate } from '../../infrastructure/db/migrations.js';
import type { SqlDatabase } from '../../infrastructure/db/database.js';
import { allMigrations, embeddedTestDatabase, serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { SOURCE_CASES } from './feedback-sources.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'the feedback channel migration on PostgreSQL');

const variants: readonly [string, () => Promise<TestDatabase>][] = [
  ['PGlite', embeddedTestDatabase],
  ...(databaseUrl === undefined ? [] : [['PostgreSQL', () => serverTestDatabase(databaseUrl)] as [string, () => Promise<TestDatabase>]]),
];

async function migrateTo(database: SqlDatabase, name: string): Promise<void> {
  const { error } = await createMigrator(database.db, allMigrations).migrateTo(name);
  if (error !== undefined) throw error;
}

const columnsOfFeedback = async (database: SqlDatabase): Promise<string[]> =>
  (await sql<{ name: string }>`select column_name as name from information_schema.columns where table_name = 'feedback' order by 1`.execute(database.db)).rows.map((row) => row.name);

for (const [name, open] of variants) {
  test(`${name}: the migration parts every stored source as splitSource does, and drops the column`, async (t) => {
    const { database, drop } = await open();
    try {
      await migrateTo(database, '0013_snapshots');
      const ids = SOURCE_CASES.map(() => uuidv7());
      const sources = SOURCE_CASES.map(([source]) => source);
      await sql`
        insert into feedback (id, text, rating, source, customer_id, status, revision, submitted_at, updated_at)
        select id, 'text', null, source, null, 'open', 0, now(), now() from unnest(${ids}::uuid[], ${sources}::text[]) as stored(id, source)`.execute(database.db);

      await migrate(database.db, 'up', allMigrations);

      t.false((await columnsOfFeedback(database)).includes('source'));
      const rows = await database.db.selectFrom('feedback').select(['id', 'channel', 'app_version']).execute();
      const parted = new Map(rows.map((row) => [row.id, { channel: row.channel, appVersion: row.app_version }]));
      t.is(parted.size, SOURCE_CASES.length);
      sources.forEach((source, n) => t.deepEqual(parted.get(ids[n]!), splitSource(source), `source ${JSON.stringify(source)}`));
    } finally {
      await drop();
    }
  });

  test(`${name}: the way down joins channel and app version back into source`, async (t) => {
    const { database, drop } = await open();
    try {
      const origins = [...SOURCE_CASES.map(([source]) => splitSource(source)), { channel: 'ios', appVersion: null }, { channel: null, appVersion: 'beta' }];
      const ids = origins.map(() => uuidv7());
      await sql`
        insert into feedback (id, text, rating, channel, app_version, customer_id, status, revision, submitted_at, updated_at)
        select id, 'text', null, channel, app_version, null, 'open', 0, now(), now()
        from unnest(${ids}::uuid[], ${origins.map((o) => o.channel)}::text[], ${origins.map((o) => o.appVersion)}::text[]) as stored(id, channel, app_version)`.execute(database.db);

      await migrateTo(database, '0013_snapshots');

      const columns = await columnsOfFeedback(database);
      t.true(columns.includes('source') && !columns.includes('channel') && !columns.includes('app_version'));
      const rows = await sql<{ id: string; source: string | null }>`select id, source from feedback`.execute(database.db);
      const sources = new Map(rows.rows.map((row) => [row.id, row.source]));
      origins.forEach((origin, n) => t.is(sources.get(ids[n]!), joinSource(origin), JSON.stringify(origin)));
    } finally {
      await drop();
    }
  });
}
