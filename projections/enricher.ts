// Enrichers: consumers that ask something outside Chorus (the AI provider chain) about an event and append the
// answer to the event's own stream. Like projections they retry, park an event that keeps failing as a dead
// letter (later events of its stream park behind it) and go on; unlike them, their effect is an append whose
// event id derives from the source event, so doing it twice appends nothing and no transaction is needed.
import { setMaxListeners } from 'node:events';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { describeError } from '../application/kernel/describe-error.js';
import { retry, type GaveUp } from '../application/kernel/retry.js';
import type { Position, RecordedEvent } from '../application/ports/event-store.js';
import type { Schema } from './schema.js';
import { readCheckpoint, writeCheckpoint } from './checkpoints.js';
import { ConsumerHealth } from './consumer-health.js';
import { insertDeadLetter, parkBehind, streamsWithOpenLetters, type Redeliverable } from './dead-letters.js';
import type { EventConsumer, Progress } from './event-consumer.js';
import type { ConsumerOptions } from './projection-applier.js';

/** Streams of a batch enriched at once. */
const STREAMS_AT_ONCE = 8;
const LISTENERS_PER_STREAM = 4;

export type Enricher = Readonly<{
  /** `enricher.<name>`: names its checkpoint, its Kafka consumer group and its dead letters. */
  name: string;
  categories: readonly string[];
  /** Event types it enriches; others are read past. */
  handles: readonly string[];
  /** Appends the enrichment of `event`, with an event id derived from it: a second call appends nothing. */
  enrich(event: RecordedEvent, signal: AbortSignal): Promise<void>;
  /**
   * The ids of those of `events` enriched already (their derived event is stored). Asked once for a whole batch
   * before any provider is: a redelivered event costs neither a provider call nor a read of its own.
   */
  enrichedAlready(events: readonly RecordedEvent[]): Promise<ReadonlySet<string>>;
  /** Failures that say nothing about the event (every provider down): retried for as long as it takes, never parked. */
  isUnavailable(error: unknown): boolean;
}>;

export class EnricherConsumer implements EventConsumer, Redeliverable {
  readonly name: string;
  readonly categories: readonly string[];
  readonly health = new ConsumerHealth();
  private readonly handles: ReadonlySet<string>;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly enricher: Enricher,
    private readonly logger: Logger,
    private readonly options: ConsumerOptions,
  ) {
    this.name = enricher.name;
    this.categories = enricher.categories;
    this.handles = new Set(enricher.handles);
  }

  async start(): Promise<void> {}

  resumeFrom(): Promise<Position | null> {
    return readCheckpoint(this.db, this.name);
  }

  /**
   * Returns once every event is enriched or parked and the progress recorded; throws only when aborted. Streams
   * are enriched side by side, up to STREAMS_AT_ONCE, each in its order: an enrichment waits on a provider and on
   * an append, and one stream's wait need not hold up the others.
   */
  async process(events: readonly RecordedEvent[], progress: Progress, signal: AbortSignal): Promise<void> {
    const streams = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      if (!this.handles.has(event.type)) continue;
      const stream = streams.get(event.streamId);
      if (stream === undefined) streams.set(event.streamId, [event]);
      else stream.push(event);
    }
    if (streams.size > 0) {
      // Each stream in flight listens to the batch's signal a few times over (its retry, the provider's timeout):
      // more than Node's default of 10 listeners is expected here, not a leak.
      setMaxListeners(LISTENERS_PER_STREAM * STREAMS_AT_ONCE, signal);
      let blocked = new Set<string>();
      let done: ReadonlySet<string> = new Set();
      await this.untilDone(async () => {
        [blocked, done] = await Promise.all([
          streamsWithOpenLetters(this.db, this.name, [...streams.keys()]),
          this.enricher.enrichedAlready([...streams.values()].flat()),
        ]);
      }, signal);
      const queue = [...streams.values()].map((stream) => stream.filter((event) => !done.has(event.eventId))).filter((stream) => stream.length > 0);
      const worker = async (): Promise<void> => {
        for (let stream = queue.shift(); stream !== undefined; stream = queue.shift()) await this.enrichStream(stream, blocked.has(stream[0]!.streamId), signal);
      };
      await Promise.all(Array.from({ length: Math.min(STREAMS_AT_ONCE, queue.length) }, worker));
    }
    if (progress.kind === 'checkpoint') await this.untilDone(() => writeCheckpoint(this.db, this.name, progress.position), signal);
  }

  /** One stream's events in order; once one is parked (or the stream had an open letter), the rest park behind it. */
  private async enrichStream(events: readonly RecordedEvent[], blocked: boolean, signal: AbortSignal): Promise<void> {
    for (const event of events) {
      if (blocked) {
        await this.untilDone(() => parkBehind(this.db, this.name, event), signal);
        continue;
      }
      const failure = await this.attempt(() => this.enricher.enrich(event, signal), signal, this.options.maxAttempts);
      if (failure !== undefined) {
        await this.park(event, failure, signal);
        blocked = true;
      }
    }
  }

  /** Enriches a stream's dead letters in order; the derived event ids make a second delivery a no-op. */
  async redeliver(events: readonly RecordedEvent[]): Promise<void> {
    const signal = new AbortController().signal; // an operator's retry runs to its end; the providers have timeouts
    const done = await this.enricher.enrichedAlready(events);
    for (const event of events) if (!done.has(event.eventId)) await this.enricher.enrich(event, signal);
  }

  private untilDone(work: () => Promise<void>, signal: AbortSignal): Promise<GaveUp | undefined> {
    return this.attempt(work, signal, Number.POSITIVE_INFINITY);
  }

  private async attempt(work: () => Promise<void>, signal: AbortSignal, maxAttempts: number): Promise<GaveUp | undefined> {
    const failure = await retry(work, {
      maxAttempts,
      minMs: this.options.retryMinMs,
      maxMs: this.options.retryMaxMs,
      isTransient: (error) => this.options.isTransient(error) || this.enricher.isUnavailable(error),
      signal,
      onFailure: (error, transient, failures) => {
        this.health.failed(describeError(error));
        this.logger.error({ consumer: this.name, err: error, transient, failures }, 'enrichment failed');
      },
    });
    if (failure === undefined) this.health.progressed();
    return failure;
  }

  private async park(event: RecordedEvent, failure: GaveUp, signal: AbortSignal): Promise<void> {
    const error = describeError(failure.error);
    await this.untilDone(() => insertDeadLetter(this.db, this.name, event, error, failure.attempts), signal);
    this.logger.error({ consumer: this.name, eventId: event.eventId, streamId: event.streamId, err: failure.error }, 'event dead-lettered');
    await this.options
      .publishDeadLetter?.({ consumer: this.name, event, error, attempts: failure.attempts })
      .catch((publishError: unknown) => this.logger.error({ err: publishError, eventId: event.eventId }, 'dead letter not published; it is recorded in dead_letters'));
  }
}
