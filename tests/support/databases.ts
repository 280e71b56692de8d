// Databases for tests: PGlite in memory, or a new database on the server named by DATABASE_URL,
// dropped afterwards, so each test file sees an empty event log.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openPglite, openPostgres, type SqlDatabase } from '../../infrastructure/db/database.js';
import { migrate, type Migrations } from '../../infrastructure/db/migrations.js';
import { apiMigrations, contexts } from '../../api/contexts.js';

/** Every table of a full Chorus: the core's, each context's and the HTTP layer's. */
export const allMigrations: readonly Migrations[] = [...contexts.map((context) => context.migrations), ...apiMigrations];

export type TestDatabase = Readonly<{ database: SqlDatabase; url: string | undefined; drop(): Promise<void> }>;

export async function embeddedTestDatabase(): Promise<TestDatabase> {
  const database = await openPglite(undefined);
  await migrate(database.db, 'up', allMigrations);
  return { database, url: undefined, drop: () => database.close() };
}

export async function serverTestDatabase(serverUrl: string, options: { poolMax?: number } = {}): Promise<TestDatabase> {
  const name = `chorus_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = openPostgres(url.toString(), { poolMax: options.poolMax ?? 10 });
  await migrate(database.db, 'up', allMigrations);
  return {
    database,
    url: url.toString(),
    drop: async () => {
      await database.close();
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
