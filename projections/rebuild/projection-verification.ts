// Verify: is a projection's live build what its code makes of the log? A consistent snapshot of the live tables
// (and of how far each stream is applied) is copied aside; the projection is built afresh from the log into scratch
// tables, each stream up to exactly the revision the snapshot had applied, so a live build that lags (Kafka
// partitions, a projector catching up) or that parked a dead letter compares equal; then the rows are compared by
// primary key and by a hash of each whole row. Scratch schemas are dropped whatever happens; those of a process that
// died midway are dropped by the next verification (see verification-jobs.ts).
import { sql, type Kysely } from 'kysely';
import { yieldToEventLoop } from '../../application/kernel/retry.js';
import type { EventStore, Position, RecordedEvent } from '../../application/ports/event-store.js';
import { streamsKeyOf, type Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import { createEmptyCopies, dropSchema, writeTo } from './build-schemas.js';

export type RowDifference = Readonly<{
  table: string;
  kind: 'missing' | 'extra' | 'different';
  /** The primary key's columns and values. */
  key: Readonly<Record<string, unknown>>;
  /** The row the log makes (absent when extra). */
  expected?: unknown;
  /** The row the live build holds (absent when missing). */
  actual?: unknown;
}>;

export type Verification = Readonly<{
  projection: string;
  /** Rows the log makes that the live build lacks, rows it has that the log does not make, and rows that differ. */
  missing: number;
  extra: number;
  different: number;
  /** The first differences, in detail. */
  examples: readonly RowDifference[];
}>;

export const verificationDiffers = (verification: Pick<Verification, 'missing' | 'extra' | 'different'>): boolean =>
  verification.missing + verification.extra + verification.different > 0;

export type VerifyOptions = Readonly<{ batchSize: number; examples: number; signal?: AbortSignal }>;

const SCRATCH_PREFIX = 'chorus_verify_';

/** The scratch schemas of one verification are named after its id, so that leftovers can be traced to it. */
export const scratchOf = (id: string): string => `${SCRATCH_PREFIX}${id.replaceAll('-', '')}`;

/** The id a scratch name was made from, or null for a name no verification made. */
export function idOfScratch(scratch: string): string | null {
  const hex = scratch.startsWith(SCRATCH_PREFIX) ? /^[0-9a-f]{32}$/.exec(scratch.slice(SCRATCH_PREFIX.length))?.[0] : undefined;
  return hex === undefined ? null : `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The verifications whose scratch schemas exist (running, or left behind by a process that died). */
export async function scratchSchemasOf(db: Kysely<Schema>): Promise<Map<string, string[]>> {
  const { rows } = await sql<{ name: string }>`select nspname as name from pg_namespace where starts_with(nspname, ${SCRATCH_PREFIX})`.execute(db);
  const byScratch = new Map<string, string[]>();
  for (const { name } of rows) {
    const scratch = name.replace(/_(expected|actual)$/, '');
    byScratch.set(scratch, [...(byScratch.get(scratch) ?? []), name]);
  }
  return byScratch;
}

/** A verification stopped before it could compare (its process shutting down). */
export class VerificationStopped extends Error {
  constructor() {
    super('Stopped before the comparison: the process running it shut down; start it again');
  }
}

const STREAMS = '_chorus_streams';

/** Verifies into scratch schemas named after `id`; the caller holds the verification's lock (verification-jobs.ts). */
export async function verifyProjection(db: Kysely<Schema>, store: EventStore, projection: Projection, id: string, options: VerifyOptions): Promise<Verification> {
  const scratch = scratchOf(id);
  const [expected, actual] = [`${scratch}_expected`, `${scratch}_actual`];
  try {
    await snapshotLive(db, projection, actual);
    await createEmptyCopies(db, projection.tables, expected);
    await buildUpToSnapshot(db, store, projection, expected, actual, options);
    let [missing, extra, different] = [0, 0, 0];
    const examples: RowDifference[] = [];
    for (const table of projection.tables) {
      const differences = await compareTable(db, table, expected, actual, options.examples - examples.length);
      missing += differences.missing;
      extra += differences.extra;
      different += differences.different;
      examples.push(...differences.examples);
    }
    return { projection: projection.name, missing, extra, different, examples };
  } finally {
    await dropSchema(db, expected);
    await dropSchema(db, actual);
  }
}

/** The live tables and the live build's per-stream revisions, copied in one snapshot (a live batch commits both at once). */
async function snapshotLive(db: Kysely<Schema>, projection: Projection, into: string): Promise<void> {
  await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      // A projection that never ran has its first build, empty.
      const live = await tx.selectFrom('projections').select('generation').where('name', '=', projection.name).executeTakeFirst();
      const generation = live?.generation ?? 0;
      await sql`create schema ${sql.id(into)}`.execute(tx);
      for (const table of projection.tables) await sql`create table ${sql.id(into, table)} as table ${sql.id('public', table)}`.execute(tx);
      await sql`
        create table ${sql.id(into, STREAMS)} as
        select stream_id, revision from projection_streams where projection = ${streamsKeyOf(projection.name, generation)}`.execute(tx);
      await sql`alter table ${sql.id(into, STREAMS)} add primary key (stream_id)`.execute(tx);
    });
}

/** Applies the log to the scratch build, each stream only up to the revision the snapshot had applied. */
async function buildUpToSnapshot(
  db: Kysely<Schema>,
  store: EventStore,
  projection: Projection,
  into: string,
  snapshot: string,
  { batchSize, signal }: VerifyOptions,
): Promise<void> {
  let from: Position | null = null;
  for (;;) {
    await yieldToEventLoop();
    if (signal?.aborted) throw new VerificationStopped();
    const events: RecordedEvent[] = [];
    for await (const event of store.readAll({ categories: projection.categories, types: projection.handles, from, limit: batchSize })) events.push(event);
    if (events.length === 0) return;
    from = events[events.length - 1]!.position;
    await db.transaction().execute(async (tx) => {
      const streamIds = [...new Set(events.map((event) => event.streamId))];
      const { rows } = await sql<{ stream_id: string; revision: string | number }>`
        select stream_id, revision from ${sql.id(snapshot, STREAMS)} where stream_id = any(${streamIds}::text[])`.execute(tx);
      const applied = new Map(rows.map((row) => [row.stream_id, Number(row.revision)]));
      const within = events.filter((event) => event.revision <= (applied.get(event.streamId) ?? -1));
      if (within.length === 0) return;
      await writeTo(tx, into);
      await projection.apply(tx, within);
    });
    if (events.length < batchSize) return;
  }
}

async function compareTable(
  db: Kysely<Schema>,
  table: string,
  expected: string,
  actual: string,
  examples: number,
): Promise<{ missing: number; extra: number; different: number; examples: RowDifference[] }> {
  const { rows: keyRows } = await sql<{ column: string }>`
    select a.attname as column
    from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = ${`public.${table}`}::regclass and i.indisprimary
    order by array_position(i.indkey, a.attnum)`.execute(db);
  const keys = keyRows.map((row) => row.column);
  if (keys.length === 0) throw new Error(`${table} has no primary key: verify compares rows by their primary key`);
  const joined = sql.join(keys.map((key) => sql`e.${sql.id(key)} = a.${sql.id(key)}`), sql` and `);
  const first = sql.id(keys[0]!);
  const differences = sql`
    select case when a.${first} is null then 'missing' when e.${first} is null then 'extra' else 'different' end as kind,
           case when e.${first} is null then null else to_jsonb(e) end as expected,
           case when a.${first} is null then null else to_jsonb(a) end as actual
    from ${sql.id(expected, table)} e full outer join ${sql.id(actual, table)} a on ${joined}
    where e.${first} is null or a.${first} is null or md5(to_jsonb(e)::text) <> md5(to_jsonb(a)::text)`;
  const { rows: counts } = await sql<{ kind: RowDifference['kind']; count: string | number }>`
    select kind, count(*) as count from (${differences}) d group by kind`.execute(db);
  const count = (kind: RowDifference['kind']) => Number(counts.find((row) => row.kind === kind)?.count ?? 0);
  const { rows: detail } =
    examples > 0 ? await sql<{ kind: RowDifference['kind']; expected: Record<string, unknown> | null; actual: Record<string, unknown> | null }>`${differences} limit ${examples}`.execute(db) : { rows: [] };
  return {
    missing: count('missing'),
    extra: count('extra'),
    different: count('different'),
    examples: detail.map(({ kind, expected: wanted, actual: found }) => ({
      table,
      kind,
      key: Object.fromEntries(keys.map((key) => [key, (wanted ?? found)?.[key]])),
      ...(wanted === null ? {} : { expected: wanted }),
      ...(found === null ? {} : { actual: found }),
    })),
  };
}
