// What operators and read-your-writes ask of a projection: how far it is, and whether it has reached a position.
import type { Kysely } from 'kysely';
import type { EventStore, Position } from '../application/ports/event-store.js';
import type { Schema } from '../infrastructure/db/schema.js';
import type { Projection } from './projection.js';
import { readCheckpoint } from './projection-runner.js';

/** Lag is counted by reading the log past the checkpoint, up to this many events. */
const LAG_COUNT_LIMIT = 10_000;

export type ProjectionStatus = Readonly<{
  name: string;
  version: number;
  checkpoint: Position | null;
  head: Position | null;
  /** Events of its categories in the log after its checkpoint; `lagCapped` when there are at least LAG_COUNT_LIMIT. */
  lag: number;
  lagCapped: boolean;
  lastError: string | null;
  lastErrorAt: string | null;
  updatedAt: string | null;
}>;

export async function projectionStatus(db: Kysely<Schema>, store: EventStore, projection: Projection): Promise<ProjectionStatus> {
  const row = await db.selectFrom('projections').selectAll().where('name', '=', projection.name).executeTakeFirst();
  const checkpoint = row?.checkpoint ?? null;
  const head = await store.headPosition();
  let lag = 0;
  for await (const _ of store.readAll({ from: checkpoint, categories: projection.categories, limit: LAG_COUNT_LIMIT })) lag++;
  return {
    name: projection.name,
    version: projection.version,
    checkpoint,
    head,
    lag,
    lagCapped: lag === LAG_COUNT_LIMIT,
    lastError: row?.last_error ?? null,
    lastErrorAt: row?.last_error_at?.toISOString() ?? null,
    updatedAt: row?.updated_at.toISOString() ?? null,
  };
}

/** Resolves true once the projection has applied `position`, false when `timeoutMs` passes first. */
export async function waitForPosition(
  db: Kysely<Schema>,
  store: EventStore,
  projection: string,
  position: Position,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    const checkpoint = await readCheckpoint(db, projection);
    if (checkpoint !== null && store.comparePositions(checkpoint, position) >= 0) return true;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, remaining)));
  }
}
