// The Kafka client, the topic layout (one topic per bounded context, key = stream id) and admin helpers.
import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { retryOrThrow } from '../../../application/kernel/retry.js';

/** A bounded context as the topic layout sees it: its name is its topic, and it owns these stream categories. */
export type TopicOwner = Readonly<{ name: string; categories: readonly string[] }>;

/**
 * Topic and consumer-group names under one prefix (KAFKA_TOPIC_PREFIX, default `chorus`), so environments or
 * test runs sharing a cluster never read each other's events or share offsets. Each context module's events go
 * to `<prefix>.<module name>`; a category no module owns has no topic (nothing would read it). Deployments that share
 * a prefix anyway share its topics, so every message names its event store (`storeId`, the `instance` row of
 * the database holding the store or, with EventStoreDB, the read models) and consumer groups are per store.
 */
export class KafkaTopology {
  private readonly contextOf: ReadonlyMap<string, string>;

  constructor(
    readonly prefix: string,
    private readonly owners: readonly TopicOwner[],
    /** The event store whose events this deployment relays and applies; every other store's are skipped. */
    readonly storeId: string,
  ) {
    this.contextOf = new Map(owners.flatMap((owner) => owner.categories.map((category) => [category, owner.name] as const)));
  }

  /** The topic of the context owning `category`; undefined when no module owns it. */
  topicOf(category: string): string | undefined {
    const context = this.contextOf.get(category);
    return context === undefined ? undefined : `${this.prefix}.${context}`;
  }

  topicsOf(categories: readonly string[]): string[] {
    return [...new Set(categories.flatMap((category) => this.topicOf(category) ?? []))];
  }

  get deadLetterTopic(): string {
    return `${this.prefix}.dlq`;
  }

  /** The topics that carry events: one per context. */
  eventTopics(): string[] {
    return [...new Set(this.owners.map((owner) => `${this.prefix}.${owner.name}`))];
  }

  /** Every topic Chorus produces to, created at start-up. */
  allTopics(): string[] {
    return [...this.eventTopics(), this.deadLetterTopic];
  }

  /**
   * One consumer group per consumer of each store (`projection.feedback` → `chorus.<storeId>.projection.feedback`):
   * two stores on one prefix neither share offsets nor split each other's partitions.
   */
  groupIdOf(consumerName: string): string {
    return `${this.prefix}.${this.storeId}.${consumerName}`;
  }
}

export function createKafka(brokers: readonly string[], clientId: string, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...rest } = entry.log;
      if (entry.level <= logLevel.ERROR) log.error(rest, message);
      else log.warn(rest, message);
    },
  });
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
