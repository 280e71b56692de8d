// Feeds a consumer from Kafka: one consumer group per consumer, batches per partition (so each stream keeps
// its order), offsets committed only after the consumer has recorded the batch in its own transaction.
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { RecordedEvent } from '../../../application/ports/event-store.js';
import type { EventConsumer } from '../../../projections/event-consumer.js';
import { fromMessage } from './kafka-messages.js';
import type { KafkaTopology } from './kafka.js';

const HEARTBEAT_MS = 3000;

export class KafkaRunner {
  constructor(
    private readonly kafka: Kafka,
    private readonly topology: KafkaTopology,
    readonly consumer: EventConsumer,
    private readonly logger: Logger,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    await this.consumer.start();
    const kafkaConsumer = this.kafka.consumer({ groupId: this.topology.groupIdOf(this.consumer.name), allowAutoTopicCreation: false });
    const crashed = new Promise<never>((_, reject) => {
      kafkaConsumer.on(kafkaConsumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
    });
    // A crash during connect or subscribe is reported by the race below, not as an unhandled rejection that
    // would end the whole process instead of letting the supervisor restart this worker.
    crashed.catch(() => undefined);
    const aborted = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    await kafkaConsumer.connect();
    try {
      const topics = this.topology.topicsOf(this.consumer.categories);
      await kafkaConsumer.subscribe({ topics, fromBeginning: true });
      this.logger.info({ consumer: this.consumer.name, topics }, 'consumer started, reading Kafka');
      await kafkaConsumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
          if (batch.messages.length === 0 || !isRunning() || isStale() || signal.aborted) return;
          const events: RecordedEvent[] = [];
          for (const message of batch.messages) {
            const event = fromMessage(message);
            if (event === null) this.logger.error({ topic: batch.topic, partition: batch.partition, offset: message.offset }, 'not a Chorus event; skipped');
            else events.push(event);
          }
          const lastOffset = batch.lastOffset();
          // Retries of a failing batch can outlast the session timeout: keep the membership alive meanwhile.
          const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_MS);
          try {
            await this.consumer.process(events, { kind: 'offset', topic: batch.topic, partition: batch.partition, offset: lastOffset }, signal);
          } finally {
            clearInterval(keepAlive);
          }
          await kafkaConsumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }]);
        },
      });
      await Promise.race([aborted, crashed]);
    } finally {
      await kafkaConsumer.disconnect();
      this.logger.info({ consumer: this.consumer.name }, 'consumer stopped');
    }
  }
}
