// The topic layout: one topic per bounded context, key = stream id, and consumer groups per store. Free of the
// Kafka client, so that a process without Kafka never loads it.

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
    return [...this.categoriesByTopic(categories).keys()];
  }

  /** The topics carrying `categories`, each with those of them it carries. */
  categoriesByTopic(categories: readonly string[]): Map<string, string[]> {
    const topics = new Map<string, string[]>();
    for (const category of categories) {
      const topic = this.topicOf(category);
      if (topic === undefined) continue;
      const carried = topics.get(topic);
      if (carried === undefined) topics.set(topic, [category]);
      else carried.push(category);
    }
    return topics;
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
