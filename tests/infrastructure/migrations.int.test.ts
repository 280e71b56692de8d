import test from 'ava';
import { sql } from 'kysely';
import { openPglite } from '../../infrastructure/db/database.js';
import { coreMigrations, createMigrator, mergeMigrations, migrate } from '../../infrastructure/db/migrations.js';
import { contexts } from '../../api/contexts.js';
import { allMigrations } from '../support/databases.js';

test('migrations go up, report their status, and come down one at a time', async (t) => {
  const database = await openPglite(undefined);
  try {
    const tables = async () =>
      (await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = 'public' and tablename not like 'kysely%' order by 1`.execute(database.db)).rows.map((r) => r.name);
    const applied = await migrate(database.db, 'up', allMigrations);
    // Every owner's migrations, in one global order: derived from the module list, so a new context adds its own.
    const names = Object.keys(mergeMigrations([...coreMigrations, ...allMigrations])).sort();
    t.true(names.length >= 20 && names.slice(0, 3).join() === '0001_event_store,0002_projections,0003_feedback_read_model', 'the core\'s migrations come first');
    t.deepEqual(applied.map((r) => r.migrationName), names);
    // A fixed anchor: `names` comes from the same owners as what migrate runs, so it could not tell a lost owner.
    t.deepEqual(names.slice(0, 24), [
      '0001_event_store', '0002_projections', '0003_feedback_read_model', '0004_feedback_triage', '0005_consumers', '0006_instance_identity',
      '0007_idempotency_keys', '0008_dead_letters_of_any_consumer', '0009_idempotency_leases', '0010_partition_watermarks',
      '0011_streams_room_for_updates', '0012_identity', '0013_snapshots', '0014_feedback_channel', '0015_projection_generations', '0016_replays',
      '0017_polls', '0018_polls_social', '0019_polls_engagement', '0020_drafts', '0021_drafts_dashboard', '0022_drafts_retrieval', '0023_crm',
      '0024_diagrams',
    ]);
    const created = await tables();
    // The core's and the older contexts' tables, and every table any context's projections write.
    const expected = [
      'api_keys', 'audit_entries', 'checkpoints', 'dead_letters', 'events', 'feedback', 'feedback_counts', 'idempotency_keys', 'instance', 'poll_comment_threads',
      'poll_comments', 'poll_feed_authors', 'poll_feed_follows', 'poll_feed_items', 'poll_feed_polls', 'poll_follows', 'poll_live', 'poll_reaction_counts',
      'poll_reactions', 'poll_tallies', 'poll_votes', 'polls', 'projection_offsets', 'projection_rebuilds', 'projection_streams', 'projection_verifications',
      'projections', 'replays', 'snapshots', 'social_conversation_streams', 'social_conversations', 'social_messages', 'social_notification_streams',
      'social_notifications', 'social_poll_votes', 'social_polls', 'social_profile_streams', 'social_profiles', 'social_read_marks', 'streams', 'user_credentials',
      ...contexts.flatMap((context) => context.projections.flatMap((projection) => projection.tables)),
    ];
    t.deepEqual(created.filter((table) => expected.includes(table)), [...new Set(expected)].sort(), 'every table is there');
    t.deepEqual(created, [...new Set(expected)].sort(), 'and no table any owner did not declare');
    t.deepEqual(await migrate(database.db, 'up', allMigrations), [], 'up again is a no-op');
    t.true((await createMigrator(database.db, allMigrations).getMigrations()).every((m) => m.executedAt !== undefined));

    // Down one at a time, newest first, to 0008.
    for (const name of names.slice(names.indexOf('0008_dead_letters_of_any_consumer')).reverse()) {
      t.deepEqual((await migrate(database.db, 'down', allMigrations)).map((r) => r.migrationName), [name]);
    }
    const undone = await migrate(database.db, 'down', allMigrations);
    t.deepEqual(undone.map((r) => [r.migrationName, r.direction]), [['0007_idempotency_keys', 'Down']]);
    t.deepEqual(await tables(), ['checkpoints', 'dead_letters', 'events', 'feedback', 'feedback_counts', 'instance', 'projection_offsets', 'projection_streams', 'projections', 'streams']);
    const status = await createMigrator(database.db, allMigrations).getMigrations();
    t.deepEqual(status.map((m) => m.executedAt === undefined), names.map((_, index) => index >= 6));
    for (let n = 0; n < 6; n++) await migrate(database.db, 'down', allMigrations);
    t.deepEqual(await tables(), []);
  } finally {
    await database.close();
  }
});

test('a database migrated by the previous layout keeps its dead letters and in-flight keys, named anew', async (t) => {
  const database = await openPglite(undefined);
  try {
    const migrator = createMigrator(database.db, allMigrations);
    await migrator.migrateTo('0007_idempotency_keys');
    await sql`insert into dead_letters (projection, event_id, stream_id, revision, position, event, error, attempts, status, first_failed_at, last_failed_at)
              values ('feedback', gen_random_uuid(), 'feedback-1', 1, '42', '{}', 'boom', 5, 'open', now(), now())`.execute(database.db);
    await sql`insert into idempotency_keys (key, fingerprint, status, response) values ('stuck', 'f', null, null), ('done', 'f', 201, '{}')`.execute(database.db);
    await migrate(database.db, 'up', allMigrations);
    const letters = await database.db.selectFrom('dead_letters').select(['consumer', 'error', 'attempts']).execute();
    t.deepEqual(letters, [{ consumer: 'projection.feedback', error: 'boom', attempts: 5 }]);
    const keys = await sql<{ key: string; free: boolean }>`select key, lease_until is not null and lease_until <= now() as free from idempotency_keys order by key`.execute(database.db);
    t.deepEqual(keys.rows, [{ key: 'done', free: false }, { key: 'stuck', free: true }], 'a key left claimed by the old layout is free to retry at once');

    await migrator.migrateTo('0007_idempotency_keys');
    const back = await sql<{ projection: string }>`select projection from dead_letters`.execute(database.db);
    t.deepEqual(back.rows, [{ projection: 'feedback' }]);
  } finally {
    await database.close();
  }
});
