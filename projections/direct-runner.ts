// Feeds a consumer straight from the event store, with no broker in between: the in-process relay of the
// embedded profile, and of any deployment without KAFKA_BROKERS.
import type { Logger } from 'pino';
import type { EventStore } from '../application/ports/event-store.js';
import type { EventConsumer } from './event-consumer.js';

export class DirectRunner {
  constructor(
    private readonly store: EventStore,
    readonly consumer: EventConsumer,
    private readonly logger: Logger,
    private readonly batchSize: number,
  ) {}

  /** Runs until the signal aborts; the batch in hand when it does is finished first. */
  async run(signal: AbortSignal): Promise<void> {
    const { name, categories } = this.consumer;
    await this.consumer.start();
    const from = await this.consumer.resumeFrom();
    this.logger.info({ consumer: name, from }, 'consumer started, reading the event store');
    for await (const batch of this.store.subscribe({ from, categories, batchSize: this.batchSize, signal })) {
      await this.consumer.process(batch.events, { kind: 'checkpoint', position: batch.checkpoint }, signal);
    }
    this.logger.info({ consumer: name }, 'consumer stopped');
  }
}
