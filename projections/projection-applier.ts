// Applies batches of events to one projection, whoever delivers them (the store directly, or Kafka).
// Each batch is one transaction: rows, per-stream revisions and the delivery progress together, so a crash
// or a redelivery changes nothing. An event that keeps failing is parked as a dead letter and the projection
// goes on; later events of its stream park behind it, so no stream is ever applied with a hole in it.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { describeError } from '../application/kernel/describe-error.js';
import { retry, type GaveUp } from '../application/kernel/retry.js';
import type { EventStore, Position, RecordedEvent } from '../application/ports/event-store.js';
import type { Schema } from './schema.js';
import { ConsumerHealth } from './consumer-health.js';
import { insertDeadLetter, parkBehind, type DeadLetter, type Redeliverable } from './dead-letters.js';
import type { EventConsumer, Progress } from './event-consumer.js';
import { streamsKeyOf, type Projection } from './projection.js';

export type ConsumerOptions = Readonly<{
  /** Attempts at a failing batch, and then at each of its events alone, before one is dead-lettered. */
  maxAttempts: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Failures of the infrastructure (a lost connection, a restarting server) are retried forever instead. */
  isTransient: (error: unknown) => boolean;
  /** Also announces a dead letter elsewhere (the chorus.dlq topic); the table stays the record. */
  publishDeadLetter?: (letter: DeadLetter) => Promise<void>;
}>;

export type ApplierOptions = ConsumerOptions &
  Readonly<{
    onBatchApplied?: (projection: string, events: number, seconds: number) => void;
  }>;

export class ProjectionApplier implements EventConsumer, Redeliverable {
  readonly name: string;
  readonly categories: readonly string[];
  readonly health = new ConsumerHealth();
  /** How far it has applied the whole log on Kafka, which read-your-writes waits on (see appliedWatermark). */
  readonly recordsWatermarks = true;
  private readonly handles: ReadonlySet<string>;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly store: Pick<EventStore, 'comparePositions'>,
    readonly projection: Projection,
    private readonly logger: Logger,
    private readonly options: ApplierOptions,
  ) {
    this.name = `projection.${projection.name}`;
    this.categories = projection.categories;
    this.handles = new Set(projection.handles);
  }

  /** Registers the projection so that its status exists before its first batch. */
  start(): Promise<void> {
    return registerProjection(this.db, this.projection);
  }

  async resumeFrom(): Promise<Position | null> {
    const row = await this.db.selectFrom('projections').select('checkpoint').where('name', '=', this.projection.name).executeTakeFirst();
    return row?.checkpoint ?? null;
  }

  /** The last Kafka offset of the partition whose batch this projection committed with its rows. */
  async recordedOffset(topic: string, partition: number): Promise<string | null> {
    const row = await this.db
      .selectFrom('projection_offsets')
      .select('offset')
      .where('projection', '=', this.projection.name)
      .where('topic', '=', topic)
      .where('partition', '=', partition)
      .executeTakeFirst();
    return row === undefined ? null : String(row.offset);
  }

  /** Returns once the batch is applied, with whatever kept failing parked; throws only when aborted. */
  process(events: readonly RecordedEvent[], progress: Progress, signal: AbortSignal): Promise<void> {
    return this.applyBatch(events, progress, signal);
  }

  /**
   * Applies events outside any delivery (a replay): what their streams have applied is skipped, whatever fails is
   * dead-lettered as in a delivery, and no checkpoint or offset moves.
   */
  reapply(events: readonly RecordedEvent[], signal: AbortSignal): Promise<void> {
    return this.applyBatch(events, null, signal);
  }

  private async applyBatch(events: readonly RecordedEvent[], progress: Progress | null, signal: AbortSignal): Promise<void> {
    if (events.length === 0 && progress?.kind === 'offsets') {
      // Only watermarks: one statement, no rows to lock or change.
      await this.attempt(() => this.recordWatermarks(progress), signal, Number.POSITIVE_INFINITY);
      return;
    }
    const failure = await this.attempt(() => this.transaction(events, progress), signal);
    if (failure === undefined) return;
    if (events.length === 1) {
      await this.deadLetter(events[0]!, failure, progress, signal);
      return;
    }
    // Find the culprit: each event alone, in order, then the progress once for the whole batch.
    for (const event of events) {
      const single = await this.attempt(() => this.transaction([event], null), signal);
      if (single !== undefined) await this.deadLetter(event, single, null, signal);
    }
    if (progress !== null) await this.attempt(() => this.transaction([], progress), signal, Number.POSITIVE_INFINITY);
  }

  /** Applies a stream's dead letters in one transaction, skipping what the stream has applied since. */
  async redeliver(events: readonly RecordedEvent[]): Promise<void> {
    const { name } = this.projection;
    const streamId = events[0]?.streamId;
    if (streamId === undefined) return;
    const started = process.hrtime.bigint();
    const applied = await this.db.transaction().execute(async (tx) => {
      // The projection's row first, as a batch does: the build it names is the one to apply to.
      const { generation } = await tx.selectFrom('projections').select('generation').where('name', '=', name).forUpdate().executeTakeFirstOrThrow();
      const streamsKey = streamsKeyOf(name, generation);
      const stored = await tx
        .selectFrom('projection_streams')
        .select('revision')
        .where('projection', '=', streamsKey)
        .where('stream_id', '=', streamId)
        .forUpdate()
        .executeTakeFirst();
      const fresh = events.filter((event) => event.revision > Number(stored?.revision ?? -1));
      if (fresh.length === 0) return 0;
      await this.projection.apply(tx, fresh);
      const revision = fresh[fresh.length - 1]!.revision;
      await tx
        .insertInto('projection_streams')
        .values({ projection: streamsKey, stream_id: streamId, revision })
        .onConflict((oc) => oc.columns(['projection', 'stream_id']).doUpdateSet({ revision }))
        .execute();
      await tx
        .updateTable('projections')
        .set({ applied_batches: sql<string>`applied_batches + 1`, updated_at: new Date() })
        .where('name', '=', name)
        .execute();
      return fresh.length;
    });
    if (applied > 0) this.options.onBatchApplied?.(name, applied, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Runs `work` until it succeeds (undefined) or fails `maxAttempts` times for a non-transient reason. */
  private async attempt(work: () => Promise<void>, signal: AbortSignal, maxAttempts = this.options.maxAttempts): Promise<GaveUp | undefined> {
    const failure = await retry(work, {
      maxAttempts,
      minMs: this.options.retryMinMs,
      maxMs: this.options.retryMaxMs,
      isTransient: this.options.isTransient,
      signal,
      onFailure: async (error, transient, failures) => {
        const summary = describeError(error);
        this.health.failed(summary);
        this.logger.error({ consumer: this.name, err: error, transient, failures }, 'projection batch failed');
        await this.recordError(summary);
      },
    });
    if (failure === undefined) this.health.progressed();
    return failure;
  }

  private async transaction(events: readonly RecordedEvent[], progress: Progress | null): Promise<void> {
    const started = process.hrtime.bigint();
    const applied = await this.db.transaction().execute((tx) => this.applyInTransaction(tx, events, progress));
    this.options.onBatchApplied?.(this.projection.name, applied, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Returns how many events reached the projection. */
  private async applyInTransaction(tx: Transaction<Schema>, events: readonly RecordedEvent[], progress: Progress | null): Promise<number> {
    const { name } = this.projection;
    // The row lock makes a second runner of the same projection wait, then skip what this one applied: what the
    // streams have applied is read by the next statement, whose snapshot is taken once the lock is held.
    // A rebuild swapping builds holds this lock too: a batch waiting on it then reads the new build's generation.
    const stored = await tx.selectFrom('projections').select(['checkpoint', 'generation']).where('name', '=', name).forUpdate().executeTakeFirstOrThrow();
    if (progress?.kind === 'checkpoint' && stored.checkpoint !== null && this.store.comparePositions(stored.checkpoint, progress.position) >= 0) {
      return 0;
    }
    const streamsKey = streamsKeyOf(name, stored.generation);
    const { fresh, parked, revisions } = await sortOutBatch(tx, events, { handles: this.handles, streamsKey, consumer: this.name });
    if (fresh.length > 0) await this.projection.apply(tx, fresh);
    for (const event of parked) await parkBehind(tx, this.name, event);
    await this.recordProgress(tx, progress, { changed: fresh.length > 0, revisions, streamsKey, ownRow: true });
    return fresh.length;
  }

  /**
   * The batch's progress in one statement, whatever it holds: the revisions its streams reached, the Kafka offsets
   * and watermarks it took its partitions to (never moving one back: a stale runner that commits after a newer
   * one leaves the newer offset), and, for a batch of events, the projection's row (its checkpoint, and
   * applied_batches when read models changed). Arrays keep the statement's text the same for every batch, so it
   * is prepared once.
   */
  private async recordProgress(
    db: Kysely<Schema>,
    progress: Progress | null,
    { changed, revisions, streamsKey, ownRow }: Readonly<{ changed: boolean; revisions: ReadonlyMap<string, number>; streamsKey: string; ownRow: boolean }>,
  ): Promise<void> {
    const { name } = this.projection;
    const partitions = progress?.kind === 'offsets' ? progress.partitions : [];
    const checkpoint = progress?.kind === 'checkpoint' ? progress.position : null;
    await sql`
      with revisions as (
        insert into projection_streams (projection, stream_id, revision)
        select ${streamsKey}, s.stream_id, s.revision from unnest(${[...revisions.keys()]}::text[], ${[...revisions.values()]}::bigint[]) as s(stream_id, revision)
        on conflict (projection, stream_id) do update set revision = excluded.revision
      ),
      offsets as (
        insert into projection_offsets (projection, topic, partition, "offset", watermark, updated_at)
        select ${name}, o.topic, o.partition, o.offset, o.watermark, now()
        from unnest(${partitions.map((p) => p.topic)}::text[], ${partitions.map((p) => p.partition)}::int[],
                    ${partitions.map((p) => p.offset)}::bigint[], ${partitions.map((p) => p.watermark ?? null)}::text[]) as o(topic, partition, "offset", watermark)
        on conflict (projection, topic, partition) do update
          set "offset" = excluded."offset", watermark = coalesce(excluded.watermark, projection_offsets.watermark), updated_at = excluded.updated_at
          where projection_offsets."offset" <= excluded."offset"
      )
      update projections
      set checkpoint = coalesce(${checkpoint}::text, checkpoint), applied_batches = applied_batches + ${changed ? 1 : 0},
          last_error = null, last_error_at = null, updated_at = now()
      where name = ${name} and ${ownRow}::boolean`.execute(db);
  }

  /** Only watermarks: their offsets, and no row of the projection's locked or changed. */
  private async recordWatermarks(progress: Progress): Promise<void> {
    const started = process.hrtime.bigint();
    await this.recordProgress(this.db, progress, { changed: false, revisions: new Map(), streamsKey: this.projection.name, ownRow: false });
    this.options.onBatchApplied?.(this.projection.name, 0, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private async deadLetter(event: RecordedEvent, failure: GaveUp, progress: Progress | null, signal: AbortSignal): Promise<void> {
    const error = describeError(failure.error);
    // Parking must not be lost to a passing database failure: retried until it holds.
    await this.attempt(
      async () => {
        const started = process.hrtime.bigint();
        await this.db.transaction().execute(async (tx) => {
          await insertDeadLetter(tx, this.name, event, error, failure.attempts);
          if (progress !== null) await this.applyInTransaction(tx, [], progress);
        });
        // The checkpoint moved: whoever waits for this projection to progress must hear of it.
        if (progress !== null) this.options.onBatchApplied?.(this.projection.name, 0, Number(process.hrtime.bigint() - started) / 1e9);
      },
      signal,
      Number.POSITIVE_INFINITY,
    );
    this.logger.error({ consumer: this.name, eventId: event.eventId, streamId: event.streamId, err: failure.error }, 'event dead-lettered');
    await this.options
      .publishDeadLetter?.({ consumer: this.name, event, error, attempts: failure.attempts })
      .catch((publishError: unknown) => this.logger.error({ err: publishError, eventId: event.eventId }, 'dead letter not published; it is recorded in dead_letters'));
  }

  private async recordError(message: string): Promise<void> {
    await this.db
      .updateTable('projections')
      .set({ last_error: message, last_error_at: new Date() })
      .where('name', '=', this.projection.name)
      .execute()
      .catch(() => undefined); // the database may be what failed; the log has the error
  }
}

/**
 * Splits a batch into events to apply (handled, newer than what their stream has applied) and events to
 * park (their stream has an open dead letter), with the revision each stream reaches.
 */
export async function sortOutBatch(
  tx: Transaction<Schema>,
  events: readonly RecordedEvent[],
  { handles, streamsKey, consumer }: Readonly<{ handles: ReadonlySet<string>; streamsKey: string; consumer: string }>,
): Promise<{ fresh: RecordedEvent[]; parked: RecordedEvent[]; revisions: Map<string, number> }> {
  const handled = events.filter((event) => handles.has(event.type));
  const revisions = new Map<string, number>();
  if (handled.length === 0) return { fresh: [], parked: [], revisions };
  const streamIds = [...new Set(handled.map((event) => event.streamId))];
  // What each stream has applied, and whether it has an open dead letter, in one round trip; planned at each run
  // (see PLAN_PER_RUN in infrastructure/db): a plan made while the projection had few streams would read them all.
  const { rows } = await sql<{ stream_id: string; revision: string | null; blocked: boolean }>`
    select /* plan per run */ s.stream_id, ps.revision::text as revision,
           exists (select 1 from dead_letters d where d.consumer = ${consumer} and d.status = 'open' and d.stream_id = s.stream_id) as blocked
    from unnest(${streamIds}::text[]) as s(stream_id)
    left join projection_streams ps on ps.projection = ${streamsKey} and ps.stream_id = s.stream_id`.execute(tx);
  const applied = new Map(rows.flatMap((row) => (row.revision === null ? [] : [[row.stream_id, Number(row.revision)] as const])));
  const blocked = new Set(rows.filter((row) => row.blocked).map((row) => row.stream_id));
  const fresh: RecordedEvent[] = [];
  const parked: RecordedEvent[] = [];
  for (const event of handled) {
    if (event.revision <= (revisions.get(event.streamId) ?? applied.get(event.streamId) ?? -1)) continue;
    if (blocked.has(event.streamId)) {
      parked.push(event);
      continue;
    }
    revisions.set(event.streamId, event.revision);
    fresh.push(event);
  }
  return { fresh, parked, revisions };
}

/** The projection's row, made (at its version in code) if it has none yet: its status exists before its first batch. */
export async function registerProjection(db: Kysely<Schema>, { name, version }: Pick<Projection, 'name' | 'version'>): Promise<void> {
  await db
    .insertInto('projections')
    .values({ name, version, checkpoint: null, last_error: null, last_error_at: null, updated_at: new Date() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}
