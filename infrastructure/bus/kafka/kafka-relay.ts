// Fans the global log out to Kafka: tails the store from its checkpoint, produces each batch (idempotent,
// acks=all, one batch in flight, each message stamped with the store's id), and only then moves the checkpoint. A crash re-sends at most one batch;
// consumers skip what they have applied, so that is harmless.
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { categoryOf, type EventStore, type RecordedEvent } from '../../../application/ports/event-store.js';
import { readCheckpoint, writeCheckpoint } from '../../../projections/checkpoints.js';
import type { Kysely } from 'kysely';
import type { Schema } from '../../../projections/schema.js';
import type { Metrics } from '../../metrics.js';
import { toMessage } from './kafka-messages.js';
import type { KafkaTopology } from './kafka.js';

export const RELAY_CHECKPOINT = 'relay.kafka';

export function createRelayProducer(kafka: Kafka): Producer {
  // One request in flight keeps each partition in log order even across retries.
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
}

export class KafkaRelay {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly store: EventStore,
    private readonly producer: Producer,
    private readonly topology: KafkaTopology,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly batchSize: number,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    await this.producer.connect();
    // A send waits as long as the broker is away; leaving is what ends it.
    const disconnect = (): void => void this.producer.disconnect().catch(() => undefined);
    signal.addEventListener('abort', disconnect);
    try {
      const from = await readCheckpoint(this.db, RELAY_CHECKPOINT);
      this.logger.info({ from, store: this.topology.storeId }, 'relay started');
      for await (const batch of this.store.subscribe({ from, batchSize: this.batchSize, signal })) {
        if (batch.events.length > 0) {
          await this.producer.sendBatch({ acks: -1, topicMessages: byTopic(batch.events, this.topology) });
        }
        await writeCheckpoint(this.db, RELAY_CHECKPOINT, batch.checkpoint);
        this.metrics.relayedEvents.inc(batch.events.length);
        const newest = batch.events[batch.events.length - 1];
        const behind = batch.events.length === this.batchSize && newest !== undefined;
        this.metrics.relayLag.set(behind ? Math.max(0, (Date.now() - Date.parse(newest.metadata.occurredAt)) / 1000) : 0);
      }
      this.logger.info('relay stopped');
    } finally {
      signal.removeEventListener('abort', disconnect);
      await this.producer.disconnect().catch(() => undefined);
    }
  }
}

function byTopic(events: readonly RecordedEvent[], topology: KafkaTopology): { topic: string; messages: ReturnType<typeof toMessage>[] }[] {
  const topics = new Map<string, ReturnType<typeof toMessage>[]>();
  for (const event of events) {
    const topic = topology.topicOf(categoryOf(event.streamId));
    let messages = topics.get(topic);
    if (messages === undefined) topics.set(topic, (messages = []));
    messages.push(toMessage(event, topology.storeId));
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}
