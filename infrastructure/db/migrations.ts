// Schema migrations. Each owner of tables (the event store, the projection runtime, the HTTP layer, each context
// module) keeps its migrations beside its tables; they run as one set, in the global order of their names,
// recorded in Kysely's one migration table, so a database migrated before the tables had owners goes on as is.
// Kysely's Migrator takes an advisory lock, so concurrent starts are safe.
import { Migrator, type Kysely, type Migration, type MigrationResult } from 'kysely';
import { runtimeMigrations } from '../../projections/runtime-schema.js';
import { eventStoreMigrations } from '../eventstore/postgres/event-store-schema.js';
import { instanceMigrations } from './instance-schema.js';
import { snapshotMigrations } from '../eventstore/snapshot-table.js';
import { replayMigrations } from '../replay/replays-table.js';

export type Migrations = Readonly<Record<string, Migration>>;

/** What every Chorus database has, whatever contexts it hosts. */
export const coreMigrations: readonly Migrations[] = [eventStoreMigrations, runtimeMigrations, instanceMigrations, snapshotMigrations, replayMigrations];

/** One set from many owners; a name claimed twice is a programming error, caught at start-up. */
export function mergeMigrations(sets: readonly Migrations[]): Migrations {
  const merged: Record<string, Migration> = {};
  for (const set of sets) {
    for (const [name, migration] of Object.entries(set)) {
      if (Object.hasOwn(merged, name)) throw new Error(`Migration ${name} is declared twice`);
      merged[name] = migration;
    }
  }
  return merged;
}

// Migrations see the database before they shape it, so the Migrator works on an untyped Kysely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDatabase = Kysely<any>;

export const createMigrator = (db: AnyDatabase, sets: readonly Migrations[]): Migrator => {
  const migrations = mergeMigrations([...coreMigrations, ...sets]);
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
};

/** Runs a migration step over the core and the given sets; throws with the failing migration's name. */
export async function migrate(db: AnyDatabase, direction: 'up' | 'down', sets: readonly Migrations[]): Promise<readonly MigrationResult[]> {
  const migrator = createMigrator(db, sets);
  const { error, results } = direction === 'up' ? await migrator.migrateToLatest() : await migrator.migrateDown();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return results ?? [];
}
