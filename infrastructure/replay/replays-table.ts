// The replays operators start over HTTP, one row each: the request, how far its runner has gone and whether a
// cancel was asked for. Any API process reads any row, whichever process runs the replay. `updated_at` is the
// runner's heartbeat: a running replay whose heartbeat is older than the stale threshold lost its process, and
// reads as failed.
import { sql, type ColumnType, type Generated, type Kysely, type Migration } from 'kysely';
import type { ReplayProgress } from '../../application/replay/replay.js';
import type { ReplayRequest } from '../../application/replay/replay-request.js';
import type { Json, Schema } from '../../projections/schema.js';

export type ReplayStatus = 'running' | 'completed' | 'cancelled' | 'failed';

type NullableInt8 = ColumnType<string | number | null, string | number | bigint | null, string | number | bigint | null>;

export interface ReplaysTable {
  id: string;
  /** The request as validated. */
  request: Json;
  status: ReplayStatus;
  processed: ColumnType<string | number, string | number | bigint | undefined, string | number | bigint>;
  /** What the selection held when the runner counted it; null until then. */
  total: NullableInt8;
  rate: ColumnType<number, number | undefined, number>;
  eta_seconds: number | null;
  last_position: string | null;
  /** Messages safe to show: why the replay failed, or what stopped it. */
  errors: ColumnType<unknown, string | undefined, string>;
  cancel_requested: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  finished_at: Date | null;
}

declare module '../../projections/schema.js' {
  interface Schema {
    replays: ReplaysTable;
  }
}

const replays: Migration = {
  async up(db) {
    await db.schema
      .createTable('replays')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('request', 'jsonb', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('processed', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('total', 'bigint')
      .addColumn('rate', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('eta_seconds', 'double precision')
      .addColumn('last_position', 'text')
      .addColumn('errors', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('cancel_requested', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('finished_at', 'timestamptz')
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('replays').execute();
  },
};

export const replayMigrations: Readonly<Record<string, Migration>> = { '0016_replays': replays };

/** The request's fields but its rate, for a Kafka request and a projection's alike. */
type RequestFields = ReplayRequest extends infer Request ? (Request extends unknown ? Omit<Request, 'rate'> : never) : never;

/** A replay as operators see it: its request's fields (the rate asked for as `maxRate`: `rate` is the one measured), and its progress. */
export type ReplayView = Readonly<
  RequestFields & {
    id: string;
    status: ReplayStatus;
    maxRate: number | null;
    processed: number;
    total: number | null;
    rate: number;
    etaSeconds: number | null;
    lastPosition: string | null;
    errors: readonly string[];
    cancelRequested: boolean;
    createdAt: string;
    updatedAt: string;
    /** For a replay whose runner died: its last heartbeat. */
    finishedAt: string | null;
  }
>;

/** Records a new running replay; false when one with this id exists already (a retried request). */
export async function insertReplay(db: Kysely<Schema>, id: string, request: ReplayRequest): Promise<boolean> {
  const inserted = await db
    .insertInto('replays')
    .values({ id, request: JSON.stringify(request), status: 'running', finished_at: null, total: null, eta_seconds: null, last_position: null })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** The heartbeat, with the progress when there is news of it; says whether a cancel was asked for. */
export async function touchReplay(db: Kysely<Schema>, id: string, progress?: ReplayProgress): Promise<{ cancelRequested: boolean }> {
  const row = await db
    .updateTable('replays')
    .set({ updated_at: sql`now()`, ...(progress === undefined ? {} : progressColumns(progress)) })
    .where('id', '=', id)
    .returning('cancel_requested')
    .executeTakeFirst();
  return { cancelRequested: row?.cancel_requested === true };
}

export async function finishReplay(db: Kysely<Schema>, id: string, status: Exclude<ReplayStatus, 'running'>, progress: ReplayProgress | null, errors: readonly string[]): Promise<void> {
  await db
    .updateTable('replays')
    .set({ status, errors: JSON.stringify(errors), updated_at: sql`now()`, finished_at: sql`now()`, ...(progress === null ? {} : progressColumns(progress)) })
    .where('id', '=', id)
    .execute();
}

/** Flags a live running replay for its runner to stop; false when the replay is not running (or its runner died). */
export async function requestCancel(db: Kysely<Schema>, id: string, staleAfterMs: number): Promise<boolean> {
  const flagged = await db
    .updateTable('replays')
    .set({ cancel_requested: true })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where('updated_at', '>=', sql<Date>`now() - ${staleAfterMs}::integer * interval '1 millisecond'`)
    .returning('id')
    .executeTakeFirst();
  return flagged !== undefined;
}

/** The replay as recorded, or undefined; a running one without a heartbeat for `staleAfterMs` reads as failed. */
export async function readReplay(db: Kysely<Schema>, id: string, staleAfterMs: number): Promise<ReplayView | undefined> {
  const row = await db
    .selectFrom('replays')
    .selectAll()
    .select(sql<boolean>`status = 'running' and updated_at < now() - ${staleAfterMs}::integer * interval '1 millisecond'`.as('stale'))
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const { rate: maxRate, ...request } = row.request as ReplayRequest;
  const updatedAt = row.updated_at.toISOString();
  const errors = row.errors as string[];
  return {
    ...request,
    id: row.id,
    status: row.stale ? 'failed' : row.status,
    maxRate: maxRate ?? null,
    processed: Number(row.processed),
    total: row.total === null ? null : Number(row.total),
    rate: row.rate,
    etaSeconds: row.stale ? null : row.eta_seconds,
    lastPosition: row.last_position,
    errors: row.stale ? [...errors, `Its runner stopped without finishing: no heartbeat since ${updatedAt}, so the process running it died. Start it again from lastPosition.`] : errors,
    cancelRequested: row.cancel_requested,
    createdAt: row.created_at.toISOString(),
    updatedAt,
    finishedAt: row.stale ? updatedAt : (row.finished_at?.toISOString() ?? null),
  };
}

const progressColumns = ({ processed, total, rate, etaSeconds, lastPosition }: ReplayProgress) => ({
  processed,
  total,
  rate,
  eta_seconds: etaSeconds,
  last_position: lastPosition,
});
