// Fans the global log out to Kafka: tails the store from its checkpoint, produces each batch (idempotent,
// acks=all, one batch in flight, each message stamped with the store's id), and only then moves the checkpoint. A crash re-sends at most one batch;
// consumers skip what they have applied, so that is harmless.
//
// After each batch's events, every partition of every event topic gets a watermark: "everything up to this
// checkpoint is published". Within a partition it follows the events it covers, so a consumer that has applied
// a partition through a watermark has applied every event up to that position the partition will ever hold;
// partitions without events get it too, so an idle partition never holds a consumer's applied position back.
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { categoryOf, type EventStore, type Position, type RecordedEvent } from '../../../application/ports/event-store.js';
import { readCheckpoint, writeCheckpoint } from '../../../projections/checkpoints.js';
import type { Kysely } from 'kysely';
import type { Schema } from '../../../projections/schema.js';
import type { Metrics } from '../../metrics.js';
import { toMessage, toWatermark } from './kafka-messages.js';
import { partitionCounts, withAdmin, type KafkaTopology, type TopicPartitions } from './kafka.js';

export const RELAY_CHECKPOINT = 'relay.kafka';

function createRelayProducer(kafka: Kafka): Producer {
  // One request in flight keeps each partition in log order even across retries.
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
}

export class KafkaRelay {
  /** Categories no context module owns: their events have no topic and nothing reads them; each is logged once. */
  private readonly unowned = new Set<string>();

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly store: EventStore,
    private readonly kafka: Kafka,
    private readonly topology: KafkaTopology,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly batchSize: number,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    // Read at every start: partitions added to a topic get watermarks from the relay's next start.
    const partitions = await withAdmin(this.kafka, (admin) => partitionCounts(admin, this.topology.eventTopics()));
    const producer = createRelayProducer(this.kafka);
    await producer.connect();
    // A send waits as long as the broker is away; leaving is what ends it.
    const disconnect = (): void => void producer.disconnect().catch(() => undefined);
    signal.addEventListener('abort', disconnect);
    try {
      const from = await readCheckpoint(this.db, RELAY_CHECKPOINT);
      this.logger.info({ from, store: this.topology.storeId, partitions: Object.fromEntries(partitions) }, 'relay started');
      for await (const batch of this.store.subscribe({ from, batchSize: this.batchSize, signal })) {
        await producer.sendBatch({ acks: -1, topicMessages: this.messagesOf(batch.events, batch.checkpoint, partitions) });
        await writeCheckpoint(this.db, RELAY_CHECKPOINT, batch.checkpoint);
        this.metrics.relayedEvents.inc(batch.events.length);
        const newest = batch.events[batch.events.length - 1];
        const behind = batch.events.length === this.batchSize && newest !== undefined;
        this.metrics.relayLag.set(behind ? Math.max(0, (Date.now() - Date.parse(newest.metadata.occurredAt)) / 1000) : 0);
      }
      this.logger.info('relay stopped');
    } finally {
      signal.removeEventListener('abort', disconnect);
      await producer.disconnect().catch(() => undefined);
    }
  }

  /** The batch's events by topic, each topic's followed by a watermark at `checkpoint` for every one of its partitions. */
  private messagesOf(events: readonly RecordedEvent[], checkpoint: Position, partitions: TopicPartitions): { topic: string; messages: Message[] }[] {
    const topics = new Map<string, Message[]>([...partitions.keys()].map((topic) => [topic, []]));
    for (const event of events) {
      const category = categoryOf(event.streamId);
      const messages = topics.get(this.topology.topicOf(category) ?? '');
      if (messages === undefined) {
        this.reportUnowned(category, event);
        continue;
      }
      messages.push(toMessage(event, this.topology.storeId));
    }
    for (const [topic, messages] of topics) {
      for (let partition = 0; partition < partitions.get(topic)!; partition++) messages.push(toWatermark(checkpoint, this.topology.storeId, partition));
    }
    return [...topics].map(([topic, messages]) => ({ topic, messages }));
  }

  private reportUnowned(category: string, event: RecordedEvent): void {
    if (this.unowned.has(category)) return;
    this.unowned.add(category);
    this.logger.warn({ category, streamId: event.streamId, position: event.position }, 'no context module owns this stream category: its events are not relayed');
  }
}
