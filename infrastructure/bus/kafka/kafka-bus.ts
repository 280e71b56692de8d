// The Kafka bus: feeds a subscriber from Kafka, one consumer group per subscriber, the partitions of a fetch in
// one batch (each stream keeps its order: a stream lives in one partition), offsets committed only after the
// subscriber has recorded the batch in its own transaction, at most every COMMIT_EVERY_MS (and when the consumer
// stops): the next fetch starts after what was recorded at once, and a crash or a new owner of a partition is
// handed again at most that long's batches, which subscribers skip (recorded offsets) or redo to no effect
// (derived event ids). A subscriber that records offsets with its effects is never handed again what it
// recorded, even when the broker redelivers it. Only this store's events are handed on: deployments sharing a
// topic prefix share its topics, and another store's events must never reach a read model.
// The relay's watermarks are not events: they reach a subscriber as the `watermark` of a batch's progress.
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, TopicPartitionOffsetAndMetadata } from 'kafkajs';
import type { Logger } from 'pino';
import type { Upcasting } from '../../../application/eventstore/upcasting.js';
import type { EventBus, EventSubscriber } from '../../../application/ports/event-bus.js';
import type { Position, RecordedEvent } from '../../../application/ports/event-store.js';
import type { Metrics } from '../../metrics.js';
import { FetchGatherer } from './fetch-gatherer.js';
import { NO_STORE, fromMessage, storeOf, watermarkOf } from './kafka-messages.js';
import type { KafkaTopology } from './kafka-topology.js';

const HEARTBEAT_MS = 3000;
const COMMIT_EVERY_MS = 1000;
/** Partitions of a fetch handed on side by side, and so gathered into one delivery: more than a consumer owns. */
const PARTITIONS_AT_ONCE = 64;

export class KafkaBus implements EventBus {
  /** Stores whose messages were skipped already: each is logged once, however many messages it sends. */
  private readonly reportedSources = new Set<string>();

  constructor(
    private readonly kafka: Kafka,
    private readonly topology: KafkaTopology,
    /** Messages are handed on at their current schemas, whatever schema they were relayed with. */
    private readonly upcasting: Upcasting,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    /** Most events handed to the subscriber at once; a fetch brings up to 1 MiB per partition. */
    private readonly batchSize = 500,
  ) {}

  async run(subscriber: EventSubscriber, signal: AbortSignal): Promise<void> {
    await subscriber.start();
    const kafkaConsumer = this.kafka.consumer({ groupId: this.topology.groupIdOf(subscriber.name), allowAutoTopicCreation: false });
    // What the subscriber recorded, per partition, read once per assignment: a rebalance may bring a partition
    // back whose offsets another process recorded meanwhile.
    const recorded = new Map<string, Promise<bigint | null>>();
    const commits = new LazyCommits(kafkaConsumer, COMMIT_EVERY_MS);
    let heartbeat: () => Promise<void> = async () => undefined;
    const gatherer = new FetchGatherer(async (events, partitions) => {
      // Retries of a failing batch can outlast the session timeout: keep the membership alive meanwhile.
      const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_MS);
      try {
        await subscriber.process(events, { kind: 'offsets', partitions }, signal);
      } finally {
        clearInterval(keepAlive);
      }
    });
    kafkaConsumer.on(kafkaConsumer.events.GROUP_JOIN, () => {
      recorded.clear();
      commits.forget(); // offsets of partitions this consumer may no longer own
    });
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
      const topics = this.topology.topicsOf(subscriber.categories);
      await kafkaConsumer.subscribe({ topics, fromBeginning: true });
      this.logger.info({ consumer: subscriber.name, topics }, 'consumer started, reading Kafka');
      await kafkaConsumer.run({
        autoCommit: false,
        // Resolving moves the position the next fetch starts from; only a batch the consumer recorded is resolved.
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
        eachBatch: (payload) => {
          heartbeat = payload.heartbeat;
          return this.processBatch(subscriber, payload, recorded, commits, gatherer, signal);
        },
      });
      await Promise.race([aborted, crashed]);
      await commits.flush();
    } finally {
      commits.stop();
      await kafkaConsumer.disconnect();
      this.logger.info({ consumer: subscriber.name }, 'consumer stopped');
    }
  }

  /**
   * Hands a partition's fetched batch to the consumer in slices, each with the slices of the fetch's other
   * partitions (FetchGatherer). Once the consumer has recorded a slice, its offsets are resolved (the next fetch
   * starts after them), and committed with the others when COMMIT_EVERY_MS has passed (a restart or a new owner of
   * the partition starts there). What is left when the runner stops, or when a seek or a rebalance makes the batch
   * stale, is neither: it is fetched again.
   */
  private async processBatch(
    subscriber: EventSubscriber,
    { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload,
    recorded: Map<string, Promise<bigint | null>>,
    commits: LazyCommits,
    gatherer: FetchGatherer,
    signal: AbortSignal,
  ): Promise<void> {
    const { topic, partition } = batch;
    const key = `${topic}:${partition}`;
    if (!recorded.has(key)) {
      const reading = subscriber.recordedOffset?.(topic, partition).then((offset) => (offset === null ? null : BigInt(offset))) ?? Promise.resolve(null);
      reading.catch(() => recorded.delete(key)); // read again with the next batch
      recorded.set(key, reading);
    }
    const alreadyRecorded = await recorded.get(key)!;
    const unrecorded = alreadyRecorded === null ? batch.messages : batch.messages.filter((message) => BigInt(message.offset) > alreadyRecorded);
    // Another store's messages are passed over by the offsets of the slices around them, or of the batch's end.
    const messages = this.ownOf(subscriber.name, topic, partition, unrecorded);
    const commit = (through: string): void => {
      resolveOffset(through);
      commits.finished(topic, partition, (BigInt(through) + 1n).toString());
    };
    if (messages.length === 0) {
      // All of it was recorded before the broker's offset commit was lost, or is another store's: move past it
      // without a delivery.
      commit(batch.lastOffset());
      return;
    }
    for (let from = 0; from < messages.length; from += this.batchSize) {
      if (!isRunning() || isStale() || signal.aborted) return;
      const slice = messages.slice(from, from + this.batchSize);
      // The last slice also covers whatever follows its last message in the batch (control records).
      const through = from + this.batchSize >= messages.length ? batch.lastOffset() : slice[slice.length - 1]!.offset;
      const { events, watermark } = this.contentOf(topic, partition, slice);
      if (events.length > 0 || (watermark !== undefined && subscriber.recordsWatermarks === true)) {
        await gatherer.hand(events, { topic, partition, offset: through, ...(watermark === undefined ? {} : { watermark }) });
      }
      // Stopped meanwhile: the consumer may have left the slice unfinished, so it is fetched again (harmless:
      // consumers skip what they have recorded).
      if (signal.aborted) return;
      commit(through);
      // Tells us early when a rebalance took the partition away (kafkajs then rejoins): the rest of the batch is left alone.
      await heartbeat();
    }
  }

  /** The messages of this store; any other event is counted and skipped, and its store logged the first time. */
  private ownOf(consumer: string, topic: string, partition: number, messages: readonly KafkaMessage[]): KafkaMessage[] {
    const own: KafkaMessage[] = [];
    const foreign = new Map<string, number>();
    for (const message of messages) {
      const source = storeOf(message);
      if (source === this.topology.storeId) {
        own.push(message);
        continue;
      }
      if (watermarkOf(message) !== null) continue; // another relay's bookkeeping, not an event
      foreign.set(source, (foreign.get(source) ?? 0) + 1);
      if (this.reportedSources.has(source)) continue;
      this.reportedSources.add(source);
      const where = { consumer, source, store: this.topology.storeId, topic, partition, offset: message.offset };
      if (source === NO_STORE) this.logger.warn(where, 'messages naming no event store (relayed by an older Chorus, or not Chorus events) are skipped');
      else this.logger.warn(where, 'messages of another event store are skipped: another deployment shares this KAFKA_TOPIC_PREFIX');
    }
    for (const [source, count] of foreign) this.metrics.foreignMessages.inc({ consumer, source }, count);
    return own;
  }

  /** The events of a slice, and the newest watermark in it (watermarks only grow along a partition). */
  private contentOf(topic: string, partition: number, messages: readonly KafkaMessage[]): { events: RecordedEvent[]; watermark: Position | undefined } {
    const events: RecordedEvent[] = [];
    let watermark: Position | undefined;
    for (const message of messages) {
      const mark = watermarkOf(message);
      if (mark !== null) {
        watermark = mark;
        continue;
      }
      const event = fromMessage(message, this.upcasting);
      if (event === null) this.logger.error({ topic, partition, offset: message.offset }, 'not a Chorus event; skipped');
      else events.push(event);
    }
    return { events, watermark };
  }
}

/**
 * The offsets a consumer has finished with, committed together at most every `everyMs` and when it stops. A commit
 * the broker refuses (a rebalance under way) is dropped: the partitions' owners start from the one before, and
 * skip or redo to no effect what they are handed again.
 */
class LazyCommits {
  private readonly pending = new Map<string, TopicPartitionOffsetAndMetadata>();
  private timer: NodeJS.Timeout | null = null;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly consumer: Consumer,
    private readonly everyMs: number,
  ) {}

  /** `offset`: the next one to read in the partition. */
  finished(topic: string, partition: number, offset: string): void {
    this.pending.set(`${topic}:${partition}`, { topic, partition, offset });
    this.timer ??= setTimeout(() => void this.flush(), this.everyMs);
  }

  forget(): void {
    this.pending.clear();
  }

  flush(): Promise<void> {
    this.stop();
    const offsets = [...this.pending.values()];
    this.pending.clear();
    if (offsets.length > 0) this.committing = this.committing.then(() => this.consumer.commitOffsets(offsets)).catch(() => undefined);
    return this.committing;
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
