// Applies events to one build of a projection that is not the live one (a rebuild's next build, or the previous
// build catching up before a rollback), as the live applier does: per-stream revisions kept under the build's own
// key, a poison event retried then dead-lettered under the build's own consumer name (later events of its stream
// park behind it), and the build's checkpoint committed in the same transaction as its rows.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { describeError } from '../../application/kernel/describe-error.js';
import { retry, type GaveUp } from '../../application/kernel/retry.js';
import type { Position, RecordedEvent } from '../../application/ports/event-store.js';
import { insertDeadLetter, parkBehind } from '../dead-letters.js';
import { sortOutBatch, type ConsumerOptions } from '../projection-applier.js';
import { streamsKeyOf, type Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import { writeTo } from './build-schemas.js';

export type Build = Readonly<{
  projection: Projection;
  generation: number;
  /** The schema holding the build's tables. */
  schema: string;
  /** Commits how far the build has got, inside the batch's transaction. */
  saveCheckpoint(tx: Transaction<Schema>, position: Position, events: number): Promise<void>;
}>;

/** The dead-letter consumer of a build that is not live; it becomes `projection.<name>` when the build is swapped in. */
export const buildConsumerOf = (projection: string, generation: number): string => `projection.${projection}#${generation}`;

export class BuildWriter {
  private readonly handles: ReadonlySet<string>;
  private readonly consumer: string;
  private readonly streamsKey: string;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly build: Build,
    private readonly logger: Logger,
    private readonly options: ConsumerOptions,
    /** Hears of every failure (safe to show), for the build's last error. */
    private readonly onFailure: (summary: string) => Promise<void>,
  ) {
    this.handles = new Set(build.projection.handles);
    this.consumer = buildConsumerOf(build.projection.name, build.generation);
    this.streamsKey = streamsKeyOf(build.projection.name, build.generation);
  }

  /** Applies a batch in its own transaction; what keeps failing is dead-lettered. Throws only when aborted. */
  async write(events: readonly RecordedEvent[], signal: AbortSignal): Promise<void> {
    if (events.length === 0) return;
    const last = events[events.length - 1]!.position;
    const whole = await this.attempt(() => this.db.transaction().execute((tx) => this.writeIn(tx, events, last, events.length)), signal);
    if (whole === undefined) return;
    for (const event of events) {
      const single = await this.attempt(() => this.db.transaction().execute((tx) => this.writeIn(tx, [event], null, 0)), signal);
      if (single !== undefined) await this.deadLetter(event, single, signal);
    }
    await this.attempt(() => this.db.transaction().execute((tx) => this.writeIn(tx, [], last, events.length)), signal, Number.POSITIVE_INFINITY);
  }

  /** Applies events inside a transaction the caller holds (a swap's); throws whatever fails. */
  async writeIn(tx: Transaction<Schema>, events: readonly RecordedEvent[], checkpoint: Position | null, counted: number): Promise<void> {
    await writeTo(tx, this.build.schema);
    const { fresh, parked, revisions } = await sortOutBatch(tx, events, { handles: this.handles, streamsKey: this.streamsKey, consumer: this.consumer });
    if (fresh.length > 0) await this.build.projection.apply(tx, fresh);
    for (const event of parked) await parkBehind(tx, this.consumer, event);
    if (revisions.size > 0) {
      await sql`
        insert into projection_streams (projection, stream_id, revision)
        select ${this.streamsKey}, s.stream_id, s.revision from unnest(${[...revisions.keys()]}::text[], ${[...revisions.values()]}::bigint[]) as s(stream_id, revision)
        on conflict (projection, stream_id) do update set revision = excluded.revision`.execute(tx);
    }
    if (checkpoint !== null) await this.build.saveCheckpoint(tx, checkpoint, counted);
  }

  private async deadLetter(event: RecordedEvent, failure: GaveUp, signal: AbortSignal): Promise<void> {
    const error = describeError(failure.error);
    await this.attempt(() => insertDeadLetter(this.db, this.consumer, event, error, failure.attempts), signal, Number.POSITIVE_INFINITY);
    this.logger.error({ consumer: this.consumer, eventId: event.eventId, streamId: event.streamId, err: failure.error }, 'event dead-lettered while building');
  }

  private attempt(work: () => Promise<void>, signal: AbortSignal, maxAttempts = this.options.maxAttempts): Promise<GaveUp | undefined> {
    return retry(work, {
      maxAttempts,
      minMs: this.options.retryMinMs,
      maxMs: this.options.retryMaxMs,
      isTransient: this.options.isTransient,
      signal,
      onFailure: async (error, transient, failures) => {
        this.logger.error({ consumer: this.consumer, err: error, transient, failures }, 'build batch failed');
        await this.onFailure(describeError(error)).catch(() => undefined);
      },
    });
  }
}
