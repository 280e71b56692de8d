// The Kafka client and admin helpers; the topic layout is in kafka-topology.ts.
import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { retryOrThrow } from '../../../application/kernel/retry.js';

export function createKafka(brokers: readonly string[], clientId: string, logger: Logger): Kafka {
  const log = kafkajsLog(logger.child({ component: 'kafkajs' }));
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.WARN, logCreator: () => log });
}

/**
 * kafkajs's warnings and errors into our log. An error answer from the broker ("Response GroupCoordinator(...)":
 * the coordinator not available yet, a leader election, a rebalance under way) is logged by kafkajs at error level
 * before it retries; it is a warning here, so that a broker that starts or moves a partition does not page anyone.
 * What kafkajs gives up on reaches the caller (a rejected send, a consumer that crashes), which logs it as an
 * error; connection failures stay errors too.
 */
export function kafkajsLog(log: Logger): (entry: LogEntry) => void {
  return (entry) => {
    const { message, ...rest } = entry.log;
    if (entry.level <= logLevel.ERROR && !message.startsWith('Response ')) log.error(rest, message);
    else log.warn(rest, message);
  };
}

const ENSURE_ATTEMPTS = 15;

/** How many partitions each topic has: what the broker says, not what it was asked for. */
export type TopicPartitions = ReadonlyMap<string, number>;

/**
 * Creates the topics that do not exist yet; existing ones are left as they are, with however many partitions
 * they have, which is what it returns. A broker that has just started answers with retriable errors (no
 * leader, unknown partition) for a while: those are retried.
 */
export async function ensureTopics(kafka: Kafka, topics: readonly string[], partitions: number): Promise<TopicPartitions> {
  return withAdmin(kafka, (admin) =>
    retryOrThrow(
      async () => {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((topic) => !existing.has(topic));
        if (missing.length > 0) {
          await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: partitions })) });
        }
        return partitionCounts(admin, topics);
      },
      { maxAttempts: ENSURE_ATTEMPTS, minMs: 200, maxMs: 2000, isFatal: (error) => (error as { retriable?: unknown }).retriable !== true },
    ),
  );
}

export async function partitionCounts(admin: Admin, topics: readonly string[]): Promise<TopicPartitions> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
  return new Map(metadata.map(({ name, partitions }) => [name, partitions.length]));
}

/** Messages a consumer group has still to read on the topics: end offsets minus committed offsets. */
export async function consumerGroupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  let lag = 0;
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  for (const { topic, partitions } of committed) {
    const bounds = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
    for (const { partition, offset } of partitions) {
      const end = bounds.get(partition)?.high ?? 0n;
      // -1: nothing committed yet, so everything still in the partition is lag.
      const from = offset === '-1' ? (bounds.get(partition)?.low ?? 0n) : BigInt(offset);
      lag += Number(end > from ? end - from : 0n);
    }
  }
  return lag;
}

export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** One admin connection a process keeps for its frequent reads (consumer lag, the cluster's health). */
export type SharedAdmin = Readonly<{
  use<T>(work: (admin: Admin) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}>;

/**
 * Connects on first use and keeps the connection, so that a metrics scrape or a health check does not open and
 * close one per consumer. Work that fails drops the connection: the next use connects afresh.
 */
export function sharedAdmin(kafka: Kafka): SharedAdmin {
  let connected: Promise<Admin> | null = null;
  const drop = async (admin: Promise<Admin>): Promise<void> => {
    if (connected === admin) connected = null;
    await admin.then((client) => client.disconnect()).catch(() => undefined);
  };
  return {
    async use(work) {
      const admin = (connected ??= (async () => {
        const client = kafka.admin();
        await client.connect();
        return client;
      })());
      try {
        return await work(await admin);
      } catch (error) {
        await drop(admin);
        throw error;
      }
    },
    async close() {
      if (connected !== null) await drop(connected);
    },
  };
}
