// Where the builds of a projection live: the live one in `public`, the next one (a rebuild in progress) and the
// previous one (kept for a rollback) each in a schema of their own, holding copies of the projection's tables
// with the same names, columns, constraints and index names. Queries name tables unqualified, so whichever build
// is in `public` is the one they read; `apply` writes to another build by putting its schema first on the
// search path. Moving tables between schemas is catalogue work: a swap takes milliseconds whatever the rows.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Schema } from '../schema.js';

const LIVE = 'public';

/** Projection names may hold characters a schema name should not (`api-keys`). */
const slug = (projection: string): string => projection.toLowerCase().replace(/[^a-z0-9_]/g, '_');

export const nextSchemaOf = (projection: string): string => `chorus_next_${slug(projection)}`;
export const previousSchemaOf = (projection: string): string => `chorus_previous_${slug(projection)}`;
/** Where the live build waits for a moment while a rollback swaps the live and the previous builds. */
const swapSchemaOf = (projection: string): string => `chorus_swap_${slug(projection)}`;

export async function schemaExists(db: Kysely<Schema>, schema: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`select exists (select 1 from pg_namespace where nspname = ${schema}) as found`.execute(db);
  return rows[0]!.found;
}

export async function dropSchema(db: Kysely<Schema>, schema: string): Promise<void> {
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
}

/**
 * Empty copies of the live tables in `schema` (made anew): columns with their defaults, checks and identity; primary
 * key, unique and exclusion constraints under their own names; every other index under its own name. Foreign keys
 * are not copied: a read model's rows come from events, not from other tables.
 */
export async function createEmptyCopies(db: Kysely<Schema>, tables: readonly string[], schema: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await dropSchema(tx, schema);
    await sql`create schema ${sql.id(schema)}`.execute(tx);
    for (const table of tables) {
      await sql`create table ${sql.id(schema, table)} (like ${sql.id(LIVE, table)} including defaults including constraints including generated including identity including storage)`.execute(tx);
      const { rows: constraints } = await sql<{ name: string; definition: string }>`
        select c.conname as name, pg_get_constraintdef(c.oid) as definition
        from pg_constraint c
        where c.conrelid = ${`${LIVE}.${table}`}::regclass and c.contype in ('p', 'u', 'x')
        order by c.conname`.execute(tx);
      // The definitions come from the catalogue (never from a request): `PRIMARY KEY (id)` and the like.
      for (const { name, definition } of constraints) await sql`alter table ${sql.id(schema, table)} add constraint ${sql.id(name)} ${sql.raw(definition)}`.execute(tx);
      const { rows: indexes } = await sql<{ definition: string }>`
        select pg_get_indexdef(i.indexrelid) as definition
        from pg_index i
        where i.indrelid = ${`${LIVE}.${table}`}::regclass and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`.execute(tx);
      for (const { definition } of indexes) await sql.raw(indexOn(definition, table, schema)).execute(tx);
    }
  });
}

/** An index definition of a live table (`CREATE INDEX name ON public.t USING ...`) rewritten for its copy in `schema`. */
export function indexOn(definition: string, table: string, schema: string): string {
  const on = new RegExp(` ON (ONLY )?(?:public\\.)?("?)${table}\\2 USING `);
  if (!on.test(definition)) throw new Error(`Cannot copy the index "${definition}" of ${table}`);
  return definition.replace(on, (_, only: string | undefined) => ` ON ${only ?? ''}"${schema}"."${table}" USING `);
}

async function moveTables(tx: Transaction<Schema>, tables: readonly string[], from: string, to: string): Promise<void> {
  for (const table of tables) await sql`alter table ${sql.id(from, table)} set schema ${sql.id(to)}`.execute(tx);
}

/** The next build becomes live; the live one becomes the previous (replacing whatever previous there was). */
export async function swapInNext(tx: Transaction<Schema>, projection: string, tables: readonly string[]): Promise<void> {
  const previous = previousSchemaOf(projection);
  await dropSchema(tx, previous);
  await sql`create schema ${sql.id(previous)}`.execute(tx);
  await moveTables(tx, tables, LIVE, previous);
  await moveTables(tx, tables, nextSchemaOf(projection), LIVE);
  await dropSchema(tx, nextSchemaOf(projection));
}

/** The previous build becomes live and the live one the previous. */
export async function swapWithPrevious(tx: Transaction<Schema>, projection: string, tables: readonly string[]): Promise<void> {
  const [previous, swap] = [previousSchemaOf(projection), swapSchemaOf(projection)];
  await dropSchema(tx, swap);
  await sql`create schema ${sql.id(swap)}`.execute(tx);
  await moveTables(tx, tables, LIVE, swap);
  await moveTables(tx, tables, previous, LIVE);
  await moveTables(tx, tables, swap, previous);
  await dropSchema(tx, swap);
}

/** Makes `apply` in this transaction write to the build in `schema`: its tables come first on the search path. */
export async function writeTo(tx: Transaction<Schema>, schema: string): Promise<void> {
  await sql`select set_config('search_path', ${`"${schema}", ${LIVE}`}, true)`.execute(tx);
}
