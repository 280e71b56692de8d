// Enrichers: consumers that ask something outside Chorus (the AI provider chain) about an event and append the
// answer to the event's own stream. Like projections they retry, park an event that keeps failing as a dead
// letter (later events of its stream park behind it) and go on; unlike them, their effect is an append whose
// event id derives from the source event, so doing it twice appends nothing and no transaction is needed.
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

export type Enricher = Readonly<{
  /** `enricher.<name>`: names its checkpoint, its Kafka consumer group and its dead letters. */
  name: string;
  categories: readonly string[];
  /** Event types it enriches; others are read past. */
  handles: readonly string[];
  /** Appends the enrichment of `event`, with an event id derived from it: a second call appends nothing. */
  enrich(event: RecordedEvent, signal: AbortSignal): Promise<void>;
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

  /** Returns once every event is enriched or parked and the progress recorded; throws only when aborted. */
  async process(events: readonly RecordedEvent[], progress: Progress, signal: AbortSignal): Promise<void> {
    const handled = events.filter((event) => this.handles.has(event.type));
    if (handled.length > 0) {
      let blocked = new Set<string>();
      const streamIds = [...new Set(handled.map((event) => event.streamId))];
      await this.untilDone(async () => void (blocked = await streamsWithOpenLetters(this.db, this.name, streamIds)), signal);
      for (const event of handled) {
        if (blocked.has(event.streamId)) {
          await this.untilDone(() => parkBehind(this.db, this.name, event), signal);
          continue;
        }
        const failure = await this.attempt(() => this.enricher.enrich(event, signal), signal, this.options.maxAttempts);
        if (failure !== undefined) {
          await this.park(event, failure, signal);
          blocked.add(event.streamId);
        }
      }
    }
    if (progress.kind === 'checkpoint') await this.untilDone(() => writeCheckpoint(this.db, this.name, progress.position), signal);
  }

  /** Enriches a stream's dead letters in order; the derived event ids make a second delivery a no-op. */
  async redeliver(events: readonly RecordedEvent[]): Promise<void> {
    const signal = new AbortController().signal; // an operator's retry runs to its end; the providers have timeouts
    for (const event of events) await this.enricher.enrich(event, signal);
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
