// What operators and read-your-writes ask of a projection: how far it is, and whether it has applied a write.
import type { Kysely } from 'kysely';
import { categoryOf, type EventStore, type Position, type RecordedEvent } from '../application/ports/event-store.js';
import type { Schema } from './schema.js';
import type { EventConsumer } from './event-consumer.js';
import type { ProjectionProgress } from './projection-progress.js';
import type { Projection } from './projection.js';

/** Lag is counted in the log past the checkpoint up to this many events; more is reported as capped. */
const LAG_COUNT_LIMIT = 100_000;

export type Lag = Readonly<{ events: number; capped: boolean }>;

/** Events a consumer has still to process: from its Kafka consumer group, or from its checkpoint in the log. */
export type LagOf = (consumer: Pick<EventConsumer, 'name' | 'categories' | 'resumeFrom'>) => Promise<Lag>;

export type ProjectionStatus = Readonly<{
  name: string;
  version: number;
  checkpoint: Position | null;
  head: Position | null;
  /** Events it has still to apply: counted in the log (direct) or from its Kafka consumer group's offsets. */
  lag: number;
  lagCapped: boolean;
  appliedBatches: number;
  lastError: string | null;
  lastErrorAt: string | null;
  updatedAt: string | null;
}>;

export async function projectionStatus(db: Kysely<Schema>, store: EventStore, projection: Projection, lagOf: LagOf): Promise<ProjectionStatus> {
  const row = await db.selectFrom('projections').selectAll().where('name', '=', projection.name).executeTakeFirst();
  const checkpoint = row?.checkpoint ?? null;
  const consumer = { name: `projection.${projection.name}`, categories: projection.categories, resumeFrom: async () => checkpoint };
  const [head, lag] = await Promise.all([store.headPosition(), lagOf(consumer)]);
  return {
    name: projection.name,
    version: projection.version,
    checkpoint,
    head,
    lag: lag.events,
    lagCapped: lag.capped,
    appliedBatches: Number(row?.applied_batches ?? 0),
    lastError: row?.last_error ?? null,
    lastErrorAt: row?.last_error_at?.toISOString() ?? null,
    updatedAt: row?.updated_at.toISOString() ?? null,
  };
}

/** A number that grows with every batch that changed the projection's rows on this database. */
export async function appliedBatches(db: Kysely<Schema>, projection: string): Promise<string> {
  const row = await db.selectFrom('projections').select('applied_batches').where('name', '=', projection).executeTakeFirst();
  return String(row?.applied_batches ?? 0);
}

/** Lag of a consumer that reads the store directly: what the log holds past its checkpoint. */
export async function logLag(store: EventStore, consumer: Pick<EventConsumer, 'categories' | 'resumeFrom'>): Promise<Lag> {
  const events = await store.countEvents({ from: await consumer.resumeFrom(), categories: consumer.categories, limit: LAG_COUNT_LIMIT });
  return { events, capped: events === LAG_COUNT_LIMIT };
}

export type PositionWait = Readonly<{
  timeoutMs: number;
  /** Ends the wait early (the client went away). */
  signal?: AbortSignal;
  /** Batches applied in this process, and the bound on waits at once: a re-check follows each batch at once. */
  progress: ProjectionProgress;
  /**
   * Re-checks when this process has no news, from `firstMs` doubling up to `maxMs`: for projectors in other
   * processes and for replicas, which announce nothing here.
   */
  recheck: Readonly<{ firstMs: number; maxMs: number }>;
}>;

/** 'too-many-waits': the write was not there yet and every place to wait for it was taken. */
export type PositionWaitOutcome = 'reached' | 'timed-out' | 'aborted' | 'too-many-waits';

/**
 * Answers 'reached' once `readDb` (the writer or the replica serving the request) shows the projection has
 * applied the write at `position`, 'timed-out' when `timeoutMs` passes first. Judged by the write's own stream,
 * which works however events arrive (Kafka partitions carry no global order); a checkpoint past it answers at
 * once. Only a write not there at the first look takes one of the progress's places to wait.
 */
export async function waitForPosition(
  readDb: Kysely<Schema>,
  store: EventStore,
  projection: Projection,
  position: Position,
  { timeoutMs, signal, progress, recheck }: PositionWait,
): Promise<PositionWaitOutcome> {
  const deadline = Date.now() + timeoutMs;
  const write = await store.readEventAt(position);
  if (write !== null && (!projection.handles.includes(write.type) || !projection.categories.includes(categoryOf(write.streamId)))) {
    return 'reached'; // the projection never reads it, so there is nothing to wait for
  }
  // Taken before each look, so a batch announced while the database answers still wakes the next sleep.
  let seen = progress.batches(projection.name);
  if (await hasApplied(readDb, store, projection, position, write)) return 'reached';
  if (Date.now() >= deadline) return 'timed-out';
  const leave = progress.enter();
  if (leave === null) return 'too-many-waits';
  try {
    for (let pause = recheck.firstMs; ; pause = Math.min(pause * 2, recheck.maxMs)) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return 'timed-out';
      if ((await progress.next(projection.name, seen, Math.min(pause, remaining), signal)) === 'aborted') return 'aborted';
      seen = progress.batches(projection.name);
      if (await hasApplied(readDb, store, projection, position, write)) return 'reached';
    }
  } finally {
    leave();
  }
}

async function hasApplied(
  readDb: Kysely<Schema>,
  store: EventStore,
  projection: Projection,
  position: Position,
  write: RecordedEvent | null,
): Promise<boolean> {
  const [row, stream] = await Promise.all([
    readDb.selectFrom('projections').select('checkpoint').where('name', '=', projection.name).executeTakeFirst(),
    write === null
      ? undefined
      : readDb
          .selectFrom('projection_streams')
          .select('revision')
          .where('projection', '=', projection.name)
          .where('stream_id', '=', write.streamId)
          .executeTakeFirst(),
  ]);
  if (write !== null && stream !== undefined && Number(stream.revision) >= write.revision) return true;
  return row?.checkpoint != null && store.comparePositions(row.checkpoint, position) >= 0;
}
