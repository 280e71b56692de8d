// The in-process bus: feeds a subscriber straight from the event store, with no broker in between. The embedded
// profile's, and any deployment's without KAFKA_BROKERS.
import type { Logger } from 'pino';
import type { EventBus, EventSubscriber } from '../../../application/ports/event-bus.js';
import type { EventStore } from '../../../application/ports/event-store.js';

export class InProcessBus implements EventBus {
  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
    private readonly batchSize: number,
  ) {}

  async run(subscriber: EventSubscriber, signal: AbortSignal): Promise<void> {
    const { name, categories } = subscriber;
    await subscriber.start();
    const from = await subscriber.resumeFrom();
    this.logger.info({ consumer: name, from }, 'consumer started, reading the event store');
    for await (const batch of this.store.subscribe({ from, categories, batchSize: this.batchSize, signal })) {
      await subscriber.process(batch.events, { kind: 'checkpoint', position: batch.checkpoint }, signal);
    }
    this.logger.info({ consumer: name }, 'consumer stopped');
  }
}
