// What operators and read-your-writes ask of a projection: how far it is, and whether it has applied a write
// (and everything before it).
import type { Kysely } from 'kysely';
import type { EventStore, Position } from '../application/ports/event-store.js';
import type { Schema } from './schema.js';
import type { EventConsumer } from './event-consumer.js';
import type { ProjectionProgress } from './projection-progress.js';
import type { Projection } from './projection.js';

/** Lag is counted in the log past the checkpoint up to this many events; more is reported as capped. */
const LAG_COUNT_LIMIT = 100_000;

export type Lag = Readonly<{ events: number; capped: boolean }>;

/** Events a consumer has still to process: from its Kafka consumer group, or from its checkpoint in the log. */
export type LagOf = (consumer: Pick<EventConsumer, 'name' | 'categories' | 'resumeFrom'>) => Promise<Lag>;

/** A projection's rebuild, running or the last one, as operators see it. */
export type RebuildStatusView = Readonly<{
  status: 'building' | 'completed' | 'failed';
  generation: number;
  /** The version in code it builds. */
  version: number;
  /** How far it has read the log, against the head of the log now. */
  position: Position | null;
  head: Position | null;
  processed: number;
  rate: number;
  etaSeconds: number | null;
  lastError: string | null;
  holder: string;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}>;

export type ProjectionStatus = Readonly<{
  name: string;
  /** The version of the live build's code, and the version in this process's code (a rebuild brings them together). */
  version: number;
  codeVersion: number;
  /** Which build is live, and the previous one a rollback would restore. */
  generation: number;
  previous: Readonly<{ generation: number; version: number | null }> | null;
  rebuild: RebuildStatusView | null;
  /** Every event up to here is applied: its checkpoint, or on Kafka its smallest partition watermark. */
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

/**
 * How far a projection has applied the whole log, as the database serving a read shows it: every event at or
 * before this position is applied (or parked as a dead letter). Null: nothing is known to be applied yet. Asked
 * whether it has reached `wanted`, it may answer `wanted` itself when nothing it reads lies between where it is and
 * there.
 */
export type AppliedPosition = (db: Kysely<Schema>, projection: Projection, wanted?: Position) => Promise<Position | null>;

type Counting = Pick<EventStore, 'comparePositions' | 'countEvents' | 'headPosition'>;

/**
 * Fed by the store (in-process bus): the checkpoint. A subscription sleeps through appends to other categories, so
 * its checkpoint passes them only at its next look (CHORUS_POLL_INTERVAL_MS); a position it has not reached counts
 * as applied when nothing it applies lies between (see nothingToApply).
 */
export const appliedCheckpoint =
  (store: Counting): AppliedPosition =>
  async (db, projection, wanted) => {
    const row = await db.selectFrom('projections').select('checkpoint').where('name', '=', projection.name).executeTakeFirst();
    const checkpoint = row?.checkpoint ?? null;
    if (wanted === undefined || (checkpoint !== null && store.comparePositions(checkpoint, wanted) >= 0)) return checkpoint;
    return (await nothingToApply(store, projection, [{ categories: projection.categories, from: checkpoint }], wanted)) ? wanted : checkpoint;
  };

/** A projection's topics on Kafka: each one's partition count, and which of the projection's categories it carries. */
export type TopicsOf = (projection: Projection) => ReadonlyMap<string, Readonly<{ partitions: number; categories: readonly string[] }>>;

/**
 * Fed by Kafka: the smallest relay watermark applied over every partition of the projection's topics. Partitions
 * carry no global order, but each watermark covers its partition up to its position, so the smallest covers them
 * all. A partition without one yet holds it at null. The relay marks a topic without events only every few
 * seconds, so a position past the smallest counts as applied when every topic still below it holds nothing the
 * projection applies between its own smallest watermark and there (see nothingToApply): a write to one context
 * read through a projection that also reads an idle one waits only for its own topic's watermarks.
 */
export function appliedWatermark(store: Counting, topicsOf: TopicsOf): AppliedPosition {
  return async (db, projection, wanted) => {
    const topics = topicsOf(projection);
    if (topics.size === 0) return null;
    const rows = await db
      .selectFrom('projection_offsets')
      .select(['topic', 'partition', 'watermark'])
      .where('projection', '=', projection.name)
      .where('topic', 'in', [...topics.keys()])
      .where('watermark', 'is not', null)
      .execute();
    const marks = new Map<string, { lowest: Position; covered: number }>();
    for (const { topic, partition, watermark } of rows) {
      if (partition >= (topics.get(topic)?.partitions ?? 0)) continue; // a partition the topic no longer has
      const mark = marks.get(topic);
      if (mark === undefined) marks.set(topic, { lowest: watermark!, covered: 1 });
      else {
        mark.covered++;
        if (store.comparePositions(watermark!, mark.lowest) < 0) mark.lowest = watermark!;
      }
    }
    let lowest: Position | null = null;
    const ranges: { categories: readonly string[]; from: Position }[] = [];
    for (const [topic, { partitions, categories }] of topics) {
      const mark = marks.get(topic);
      if (mark === undefined || mark.covered < partitions) return null;
      ranges.push({ categories, from: mark.lowest });
      if (lowest === null || store.comparePositions(mark.lowest, lowest) < 0) lowest = mark.lowest;
    }
    if (wanted === undefined || lowest === null || store.comparePositions(lowest, wanted) >= 0) return lowest;
    const behind = ranges.filter(({ from }) => store.comparePositions(from, wanted) < 0);
    return (await nothingToApply(store, projection, behind, wanted)) ? wanted : lowest;
  };
}

/**
 * Whether the log holds nothing `projection` applies between where it has applied each set of its categories
 * (`from`, exclusive) and `wanted`, and can hold no more there: `wanted` is at or below the head every reader sees,
 * so no open transaction can still commit below it. The counts see only readable events, so they are asked again
 * once the head has passed `wanted` (an older transaction may have ended between). A wait for the projection's own
 * write, the usual case, finds it at the first count.
 */
async function nothingToApply(
  store: Counting,
  projection: Projection,
  ranges: readonly Readonly<{ categories: readonly string[]; from: Position | null }>[],
  wanted: Position,
): Promise<boolean> {
  const none = async (): Promise<boolean> => {
    for (const { categories, from } of ranges) {
      if ((await store.countEvents({ from, to: wanted, categories, types: projection.handles, limit: 1 })) > 0) return false;
    }
    return true;
  };
  if (!(await none())) return false;
  const head = await store.headPosition();
  return head !== null && store.comparePositions(head, wanted) >= 0 && (await none());
}

export async function projectionStatus(
  db: Kysely<Schema>,
  store: EventStore,
  projection: Projection,
  { lagOf, applied }: Readonly<{ lagOf: LagOf; applied: AppliedPosition }>,
): Promise<ProjectionStatus> {
  const [row, checkpoint, rebuild] = await Promise.all([
    db.selectFrom('projections').selectAll().where('name', '=', projection.name).executeTakeFirst(),
    applied(db, projection),
    db.selectFrom('projection_rebuilds').selectAll().where('projection', '=', projection.name).executeTakeFirst(),
  ]);
  const consumer = { name: `projection.${projection.name}`, categories: projection.categories, resumeFrom: async () => checkpoint };
  const [head, lag] = await Promise.all([store.headPosition(), lagOf(consumer)]);
  return {
    name: projection.name,
    version: row?.version ?? projection.version,
    codeVersion: projection.version,
    generation: row?.generation ?? 0,
    previous: row?.previous_generation == null ? null : { generation: row.previous_generation, version: row.previous_version },
    rebuild:
      rebuild === undefined
        ? null
        : {
            status: rebuild.status,
            generation: rebuild.generation,
            version: rebuild.version,
            position: rebuild.checkpoint,
            head,
            processed: Number(rebuild.processed),
            rate: rebuild.rate,
            etaSeconds: rebuild.eta_seconds,
            lastError: rebuild.last_error,
            holder: rebuild.holder,
            startedAt: rebuild.started_at.toISOString(),
            updatedAt: rebuild.updated_at.toISOString(),
            finishedAt: rebuild.finished_at?.toISOString() ?? null,
          },
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

/**
 * 'too-many-waits': the write was not there yet and every place to wait for it was taken. 'not-stored': the
 * position lies past every event committed, so no write of the caller's is there to wait for.
 */
export type PositionWaitOutcome = 'reached' | 'timed-out' | 'aborted' | 'too-many-waits' | 'not-stored';

/**
 * Answers 'reached' once `readDb` (the writer or the replica serving the request) shows the projection has
 * applied every event up to `position`, whatever its stream or category; 'timed-out' when `timeoutMs` passes
 * first. Only a wait not over at the first look, for a position the log holds, takes one of the progress's places
 * to wait: a made-up position far ahead could otherwise hold one for the whole timeout.
 */
export async function waitForPosition(
  readDb: Kysely<Schema>,
  store: Pick<EventStore, 'comparePositions' | 'newestPosition'>,
  applied: AppliedPosition,
  projection: Projection,
  position: Position,
  { timeoutMs, signal, progress, recheck }: PositionWait,
): Promise<PositionWaitOutcome> {
  const deadline = Date.now() + timeoutMs;
  const reached = async (): Promise<boolean> => {
    const through = await applied(readDb, projection, position);
    return through !== null && store.comparePositions(through, position) >= 0;
  };
  // Taken before each look, so a batch announced while the database answers still wakes the next sleep.
  let seen = progress.batches(projection.name);
  if (await reached()) return 'reached';
  const newest = await store.newestPosition();
  if (newest === null || store.comparePositions(position, newest) > 0) return 'not-stored';
  if (Date.now() >= deadline) return 'timed-out';
  const leave = progress.enter();
  if (leave === null) return 'too-many-waits';
  try {
    for (let pause = recheck.firstMs; ; ) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return 'timed-out';
      const outcome = await progress.next(projection.name, seen, Math.min(pause, remaining), signal);
      if (outcome === 'aborted') return 'aborted';
      seen = progress.batches(projection.name);
      if (await reached()) return 'reached';
      // After news of a batch, look again soon (a replica may be a moment behind it); in silence, less and less often.
      pause = outcome === 'progressed' ? recheck.firstMs : Math.min(pause * 2, recheck.maxMs);
    }
  } finally {
    leave();
  }
}

/** A read model an enricher reads has not applied the event at hand yet: retried with backoff, never parked. */
export class ReadModelBehind extends Error {
  constructor(
    readonly projection: string,
    readonly position: Position,
  ) {
    super(`${projection} has not applied position ${position} yet`);
    this.name = 'ReadModelBehind';
  }
}

/**
 * Resolves once `projection` has applied the log up to `position` on `db`, so that what an enricher reads there
 * covers the event at hand (and a redelivery reads the same). Waits a little in place, since a read model is
 * usually milliseconds behind; then throws ReadModelBehind for the consumer's backoff.
 */
export async function awaitApplied(
  deps: Readonly<{ db: Kysely<Schema>; store: Pick<EventStore, 'comparePositions'>; appliedPosition: AppliedPosition }>,
  projection: Projection,
  position: Position,
  signal?: AbortSignal,
  patienceMs = 1000,
): Promise<void> {
  const until = Date.now() + patienceMs;
  for (;;) {
    const applied = await deps.appliedPosition(deps.db, projection, position);
    if (applied !== null && deps.store.comparePositions(applied, position) >= 0) return;
    if (Date.now() >= until || signal?.aborted === true) throw new ReadModelBehind(projection.name, position);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
