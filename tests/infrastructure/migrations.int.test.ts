import test from 'ava';
import { sql } from 'kysely';
import { openPglite } from '../../infrastructure/db/database.js';
import { createMigrator, migrate } from '../../infrastructure/db/migrations.js';

test('migrations go up, report their status, and come down one at a time', async (t) => {
  const database = await openPglite(undefined);
  try {
    const tables = async () =>
      (await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = 'public' and tablename not like 'kysely%' order by 1`.execute(database.db)).rows.map((r) => r.name);
    const applied = await migrate(database.db, 'up');
    t.deepEqual(applied.map((r) => r.migrationName), ['0001_event_store', '0002_projections', '0003_feedback_read_model', '0004_feedback_triage', '0005_consumers', '0006_instance_identity', '0007_idempotency_keys']);
    t.deepEqual(await tables(), ['checkpoints', 'dead_letters', 'events', 'feedback', 'feedback_counts', 'idempotency_keys', 'instance', 'projection_offsets', 'projection_streams', 'projections', 'streams']);
    t.deepEqual(await migrate(database.db, 'up'), [], 'up again is a no-op');
    t.true((await createMigrator(database.db).getMigrations()).every((m) => m.executedAt !== undefined));

    const undone = await migrate(database.db, 'down');
    t.deepEqual(undone.map((r) => [r.migrationName, r.direction]), [['0007_idempotency_keys', 'Down']]);
    t.deepEqual(await tables(), ['checkpoints', 'dead_letters', 'events', 'feedback', 'feedback_counts', 'instance', 'projection_offsets', 'projection_streams', 'projections', 'streams']);
    const status = await createMigrator(database.db).getMigrations();
    t.deepEqual(status.map((m) => m.executedAt === undefined), [false, false, false, false, false, false, true]);
    for (let n = 0; n < 6; n++) await migrate(database.db, 'down');
    t.deepEqual(await tables(), []);
  } finally {
    await database.close();
  }
});
