// Kafka for tests: a topic prefix of their own per test file, so runs and files never share topics or groups.
import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Kysely } from 'kysely';
import { watermarkOf } from '../../infrastructure/bus/kafka/kafka-messages.js';
import { RELAY_CHECKPOINT } from '../../infrastructure/bus/kafka/kafka-relay.js';
import { readCheckpoint } from '../../projections/checkpoints.js';
import type { Schema } from '../../projections/schema.js';

export const testTopicPrefix = (): string => `test-${randomBytes(5).toString('hex')}`;

export type Received = { topic: string; partition: number; message: KafkaMessage };

/**
 * Resolves once the relay has produced everything up to `position`, the position of the test's last append (and
 * its watermarks, when the relay marks every topic with every batch: both intervals of its pacing 0). Not the
 * store's head: that lags behind while a transaction anywhere in the cluster is open (other test files' too).
 */
export async function relayedThrough(db: Kysely<Schema>, position: string): Promise<void> {
  while (BigInt((await readCheckpoint(db, RELAY_CHECKPOINT)) ?? '-1') < BigInt(position)) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Reads the messages of the topics from the beginning until `done` says so (or the deadline passes). The relay's
 * watermarks are left out unless `watermarks` is set.
 */
export async function consumeUntil(
  kafka: Kafka,
  topics: readonly string[],
  done: (messages: Received[]) => boolean,
  { timeoutMs = 30_000, watermarks = false }: { timeoutMs?: number; watermarks?: boolean } = {},
): Promise<Received[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(5).toString('hex')}` });
  const received: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} messages within ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            if (!watermarks && watermarkOf(message) !== null) return;
            received.push({ topic, partition, message });
            if (done(received)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error as Error);
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}
