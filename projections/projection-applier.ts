// Applies batches of events to one projection, whoever delivers them (the store directly, or Kafka).
// Each batch is one transaction: rows, per-stream revisions and the delivery progress together, so a crash
// or a redelivery changes nothing. An event that keeps failing is parked as a dead letter and the projection
// goes on; later events of its stream park behind it, so no stream is ever applied with a hole in it.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { EventStore, Position, RecordedEvent } from '../application/ports/event-store.js';
import type { EventConsumer, Progress } from './event-consumer.js';
import type { Schema } from '../infrastructure/db/schema.js';
import type { Projection } from './projection.js';

export type DeadLetter = Readonly<{ projection: string; event: RecordedEvent; error: string; attempts: number }>;

export type ApplierOptions = Readonly<{
  /** Attempts at a failing batch, and then at each of its events alone, before one is dead-lettered. */
  maxAttempts: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Failures of the infrastructure (a lost connection, a restarting server) are retried forever instead. */
  isTransient: (error: unknown) => boolean;
  /** Also announces a dead letter elsewhere (the chorus.dlq topic); the table stays the record. */
  publishDeadLetter?: (letter: DeadLetter) => Promise<void>;
  onBatchApplied?: (projection: string, events: number, seconds: number) => void;
}>;

const PARKED_BEHIND = 'Parked behind an earlier dead letter of the same stream';

export class ProjectionApplier implements EventConsumer {
  readonly name: string;
  readonly categories: readonly string[];
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
  async start(): Promise<void> {
    const { name, version } = this.projection;
    await this.db
      .insertInto('projections')
      .values({ name, version, checkpoint: null, last_error: null, last_error_at: null, updated_at: new Date() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }

  async resumeFrom(): Promise<Position | null> {
    const row = await this.db.selectFrom('projections').select('checkpoint').where('name', '=', this.projection.name).executeTakeFirst();
    return row?.checkpoint ?? null;
  }

  /** Returns once the batch is applied, with whatever kept failing parked; throws only when aborted. */
  async process(events: readonly RecordedEvent[], progress: Progress, signal: AbortSignal): Promise<void> {
    const failure = await this.attempt(() => this.transaction(events, progress), signal);
    if (failure === undefined) return;
    if (events.length === 1) {
      await this.deadLetter(events[0]!, failure, progress);
      return;
    }
    // Find the culprit: each event alone, in order, then the progress once for the whole batch.
    for (const event of events) {
      const single = await this.attempt(() => this.transaction([event], null), signal);
      if (single !== undefined) await this.deadLetter(event, single, null);
    }
    await this.attempt(() => this.transaction([], progress), signal, Number.POSITIVE_INFINITY);
  }

  /** Runs `work` until it succeeds (undefined) or fails `maxAttempts` times for a non-transient reason. */
  private async attempt(
    work: () => Promise<void>,
    signal: AbortSignal,
    maxAttempts = this.options.maxAttempts,
  ): Promise<{ error: string; attempts: number } | undefined> {
    let failures = 0;
    for (let pause = this.options.retryMinMs; ; pause = Math.min(pause * 2, this.options.retryMaxMs)) {
      try {
        await work();
        return undefined;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const transient = this.options.isTransient(error);
        if (!transient) failures++;
        this.logger.error({ projection: this.projection.name, err: error, transient, failures }, 'projection batch failed');
        await this.recordError(message);
        if (signal.aborted) throw new Error(`Projection ${this.projection.name} stopped while a batch was failing: ${message}`);
        if (failures >= maxAttempts) return { error: message, attempts: failures };
        await pauseUnlessAborted(pause, signal);
      }
    }
  }

  private async transaction(events: readonly RecordedEvent[], progress: Progress | null): Promise<void> {
    const started = process.hrtime.bigint();
    const applied = await this.db.transaction().execute((tx) => this.applyInTransaction(tx, events, progress));
    this.options.onBatchApplied?.(this.projection.name, applied, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Returns how many events reached the projection. */
  private async applyInTransaction(tx: Transaction<Schema>, events: readonly RecordedEvent[], progress: Progress | null): Promise<number> {
    const { name } = this.projection;
    // The row lock makes a second runner of the same projection wait, then skip what this one applied.
    const stored = await tx.selectFrom('projections').select('checkpoint').where('name', '=', name).forUpdate().executeTakeFirstOrThrow();
    if (progress?.kind === 'checkpoint' && stored.checkpoint !== null && this.store.comparePositions(stored.checkpoint, progress.position) >= 0) {
      return 0;
    }
    const { fresh, parked, revisions } = await this.sortOut(tx, events);
    if (fresh.length > 0) {
      await this.projection.apply(tx, fresh);
      await tx
        .insertInto('projection_streams')
        .values([...revisions].map(([stream_id, revision]) => ({ projection: name, stream_id, revision })))
        .onConflict((oc) => oc.columns(['projection', 'stream_id']).doUpdateSet((eb) => ({ revision: eb.ref('excluded.revision') })))
        .execute();
    }
    for (const event of parked) await insertDeadLetter(tx, name, event, PARKED_BEHIND, 0);
    await tx
      .updateTable('projections')
      .set({
        ...(progress?.kind === 'checkpoint' ? { checkpoint: progress.position } : {}),
        applied_batches: sql<string>`applied_batches + ${fresh.length > 0 ? 1 : 0}`,
        last_error: null,
        last_error_at: null,
        updated_at: new Date(),
      })
      .where('name', '=', name)
      .execute();
    if (progress?.kind === 'offset') {
      const { topic, partition, offset } = progress;
      await tx
        .insertInto('projection_offsets')
        .values({ projection: name, topic, partition, offset })
        .onConflict((oc) => oc.columns(['projection', 'topic', 'partition']).doUpdateSet({ offset, updated_at: new Date() }))
        .execute();
    }
    return fresh.length;
  }

  /**
   * Splits a batch into events to apply (handled, newer than what their stream has applied) and events to
   * park (their stream has an open dead letter), with the revision each stream reaches.
   */
  private async sortOut(
    tx: Transaction<Schema>,
    events: readonly RecordedEvent[],
  ): Promise<{ fresh: RecordedEvent[]; parked: RecordedEvent[]; revisions: Map<string, number> }> {
    const handled = events.filter((event) => this.handles.has(event.type));
    const revisions = new Map<string, number>();
    if (handled.length === 0) return { fresh: [], parked: [], revisions };
    const streamIds = [...new Set(handled.map((event) => event.streamId))];
    const [appliedRows, blockedRows] = await Promise.all([
      tx
        .selectFrom('projection_streams')
        .select(['stream_id', 'revision'])
        .where('projection', '=', this.projection.name)
        .where('stream_id', 'in', streamIds)
        .execute(),
      tx
        .selectFrom('dead_letters')
        .select('stream_id')
        .distinct()
        .where('projection', '=', this.projection.name)
        .where('status', '=', 'open')
        .where('stream_id', 'in', streamIds)
        .execute(),
    ]);
    const applied = new Map(appliedRows.map((row) => [row.stream_id, Number(row.revision)]));
    const blocked = new Set(blockedRows.map((row) => row.stream_id));
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

  private async deadLetter(event: RecordedEvent, failure: { error: string; attempts: number }, progress: Progress | null): Promise<void> {
    const { name } = this.projection;
    await this.db.transaction().execute(async (tx) => {
      await insertDeadLetter(tx, name, event, failure.error, failure.attempts);
      if (progress !== null) await this.applyInTransaction(tx, [], progress);
    });
    this.logger.error({ projection: name, eventId: event.eventId, streamId: event.streamId, error: failure.error }, 'event dead-lettered');
    await this.options
      .publishDeadLetter?.({ projection: name, event, error: failure.error, attempts: failure.attempts })
      .catch((error: unknown) => this.logger.error({ err: error, eventId: event.eventId }, 'dead letter not published; it is recorded in dead_letters'));
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

async function insertDeadLetter(tx: Transaction<Schema>, projection: string, event: RecordedEvent, error: string, attempts: number): Promise<void> {
  const now = new Date();
  await tx
    .insertInto('dead_letters')
    .values({
      projection,
      event_id: event.eventId,
      stream_id: event.streamId,
      revision: event.revision,
      position: event.position,
      event: JSON.stringify(event),
      error,
      attempts,
      status: 'open',
      first_failed_at: now,
      last_failed_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['projection', 'event_id']).doUpdateSet({ error, attempts, status: 'open', last_failed_at: now, resolved_at: null }),
    )
    .execute();
}

export function pauseUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
