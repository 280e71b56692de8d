// Fans the global log out to Kafka: tails the store from its checkpoint, produces each batch (idempotent,
// acks=all, one batch in flight, each message stamped with the store's id), and only then moves the checkpoint. A crash re-sends at most one batch;
// consumers skip what they have applied, so that is harmless.
//
// Every partition of every event topic gets watermarks: "everything up to this checkpoint is published". Within a
// partition a watermark follows the events it covers, so a consumer that has applied a partition through one has
// applied every event up to that position the partition will ever hold. A topic that had events since its last
// watermarks gets new ones with a batch's events when the last went out `everyMs` ago or more, and otherwise on
// their own that long after the last: one write after a quiet spell is marked at once, and a busy topic costs each
// of its consumers a few watermark batches a second rather than one per relayed batch and partition. Every topic,
// idle ones too, is marked every `idleEveryMs` while the log moves: each watermark batch wakes every consumer of
// the topic (a transaction for each projection), and under load on one context the others' consumers would
// otherwise wake ten times a second for nothing. Read-your-writes does not wait for an idle topic's marks: a topic
// holding none of a projection's events between its mark and the position asked for is passed over
// (projection-status.ts).
import { Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { categoryOf, type EventStore, type Position, type RecordedEvent } from '../../../application/ports/event-store.js';
import { readCheckpoint, writeCheckpoint } from '../../../projections/checkpoints.js';
import type { Kysely } from 'kysely';
import type { Schema } from '../../../projections/schema.js';
import type { Metrics } from '../../metrics.js';
import { toMessage, toWatermark } from './kafka-messages.js';
import { partitionCounts, withAdmin, type TopicPartitions } from './kafka.js';
import type { KafkaTopology } from './kafka-topology.js';

export const RELAY_CHECKPOINT = 'relay.kafka';
/**
 * The most a produce request carries, counting keys, values and headers. A broker refuses a partition's batch
 * over its message.max.bytes (1 MiB by default), and a refused batch would stop the relay for good: one page of
 * long events (5,000 characters of feedback can be 15 kB) easily weighs more, so a page goes out in several
 * requests, one after another. An event larger than this still goes, alone in its request.
 */
const REQUEST_BYTES = 512 * 1024;
/** A record's framing in a batch, roughly: lengths, offsets, timestamps. */
const RECORD_OVERHEAD_BYTES = 64;
export type WatermarkPacing = Readonly<{
  /** The most often watermarks go out; also the longest a relayed batch waits for its topics' watermarks. */
  everyMs: number;
  /** How often every topic is marked while the log moves, those without events since their last marks too. */
  idleEveryMs: number;
}>;

export const WATERMARK_PACING: WatermarkPacing = { everyMs: 100, idleEveryMs: 5000 };

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
    private readonly pacing = WATERMARK_PACING,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    // Read at every start: partitions added to a topic get watermarks from the relay's next start.
    const partitions = await withAdmin(this.kafka, (admin) => partitionCounts(admin, this.topology.eventTopics()));
    const producer = createRelayProducer(this.kafka);
    await producer.connect();
    // A send waits as long as the broker is away; leaving is what ends it.
    const disconnect = (): void => void producer.disconnect().catch(() => undefined);
    signal.addEventListener('abort', disconnect);
    const marks = new WatermarkPacer(producer, [...partitions.keys()], (checkpoint, topics) => this.watermarksOf(checkpoint, topics, partitions), this.pacing, this.logger);
    try {
      const from = await readCheckpoint(this.db, RELAY_CHECKPOINT);
      this.logger.info({ from, store: this.topology.storeId, partitions: Object.fromEntries(partitions) }, 'relay started');
      // Whatever the last run published and left unmarked (it stopped before its watermarks were due) is marked now.
      if (from !== null) await marks.sendWith([], from);
      for await (const batch of this.store.subscribe({ from, batchSize: this.batchSize, signal })) {
        await marks.sendWith(this.requestsOf(batch.events), batch.checkpoint);
        await writeCheckpoint(this.db, RELAY_CHECKPOINT, batch.checkpoint);
        this.metrics.relayedEvents.inc(batch.events.length);
        const newest = batch.events[batch.events.length - 1];
        const behind = batch.events.length === this.batchSize && newest !== undefined;
        this.metrics.relayLag.set(behind ? Math.max(0, (Date.now() - Date.parse(newest.metadata.occurredAt)) / 1000) : 0);
      }
      this.logger.info('relay stopped');
    } finally {
      marks.stop();
      signal.removeEventListener('abort', disconnect);
      await producer.disconnect().catch(() => undefined);
    }
  }

  /** The batch's events by topic, in requests of at most REQUEST_BYTES, in log order. */
  private requestsOf(events: readonly RecordedEvent[]): TopicMessages[][] {
    const requests: TopicMessages[][] = [];
    let topics = new Map<string, Message[]>();
    let bytes = 0;
    for (const event of events) {
      const category = categoryOf(event.streamId);
      const topic = this.topology.topicOf(category);
      if (topic === undefined) {
        this.reportUnowned(category, event);
        continue;
      }
      const message = toMessage(event, this.topology.storeId);
      const size = bytesOf(message);
      if (bytes > 0 && bytes + size > REQUEST_BYTES) {
        requests.push(byTopic(topics));
        [topics, bytes] = [new Map(), 0];
      }
      bytes += size;
      const messages = topics.get(topic);
      if (messages === undefined) topics.set(topic, [message]);
      else messages.push(message);
    }
    if (topics.size > 0) requests.push(byTopic(topics));
    return requests;
  }

  /** A watermark at `checkpoint` for every partition of each of `topics`. */
  private watermarksOf(checkpoint: Position, topics: readonly string[], partitions: TopicPartitions): TopicMessages[] {
    return topics.map((topic) => ({
      topic,
      messages: Array.from({ length: partitions.get(topic) ?? 0 }, (_, partition) => toWatermark(checkpoint, this.topology.storeId, partition)),
    }));
  }

  private reportUnowned(category: string, event: RecordedEvent): void {
    if (this.unowned.has(category)) return;
    this.unowned.add(category);
    this.logger.warn({ category, streamId: event.streamId, position: event.position }, 'no context module owns this stream category: its events are not relayed');
  }
}

/**
 * Sends batches, with watermarks paced as WatermarkPacing says: a batch sent sooner goes without, and a timer sends
 * the newest checkpoint's watermarks once they are due. Sends go one at a time: the idempotent producer numbers a
 * partition's messages as it builds a request, and two requests built side by side would share numbers.
 */
class WatermarkPacer {
  /** When the last watermarks were sent, and the last to every topic (their sends began). */
  private lastMarkedAt = Number.NEGATIVE_INFINITY;
  private lastAllMarkedAt = Number.NEGATIVE_INFINITY;
  /** The newest checkpoint whose events are published and not yet marked on every topic. */
  private unmarked: Position | null = null;
  /** Topics with events published since their last watermarks. */
  private readonly touched = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly producer: Producer,
    private readonly topics: readonly string[],
    private readonly watermarksOf: (checkpoint: Position, topics: readonly string[]) => TopicMessages[],
    private readonly pacing: WatermarkPacing,
    private readonly logger: Logger,
  ) {}

  /**
   * Sends the requests in order (acks from every replica), the last with the watermarks at `checkpoint` of the
   * topics due: within a partition they follow every event they cover.
   */
  async sendWith(requests: readonly TopicMessages[][], checkpoint: Position): Promise<void> {
    for (const request of requests.slice(0, -1)) await this.send(request);
    for (const request of requests) for (const { topic } of request) this.touched.add(topic);
    // Batches come one at a time: a newer checkpoint marked covers any older one left unmarked.
    this.unmarked = checkpoint;
    const events = requests.at(-1) ?? [];
    const due = this.takeTurn();
    const topicMessages = due === null ? events : merge(events, this.watermarksOf(checkpoint, due));
    if (topicMessages.length > 0) await this.send(topicMessages);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  /**
   * The topics whose watermarks are due now (every topic when the idle ones' are, or when every one had events), or
   * null; those sent count from now.
   */
  private takeTurn(): readonly string[] | null {
    const now = performance.now();
    if (now - this.lastMarkedAt < this.pacing.everyMs) return null;
    const all = now - this.lastAllMarkedAt >= this.pacing.idleEveryMs || this.touched.size === this.topics.length;
    if (!all && this.touched.size === 0) return null;
    const topics = all ? this.topics : [...this.touched];
    this.touched.clear();
    this.lastMarkedAt = now;
    if (all) {
      this.lastAllMarkedAt = now;
      this.unmarked = null;
    }
    return topics;
  }

  private send(topicMessages: TopicMessages[]): Promise<unknown> {
    const sent = this.sending.then(() => this.producer.sendBatch({ acks: -1, topicMessages }));
    this.sending = sent.catch(() => undefined);
    return sent;
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Sets the timer for the next watermarks due: the touched topics', else every topic's. */
  private schedule(): void {
    this.cancelTimer();
    if (this.unmarked === null || this.stopped) return;
    const next = this.lastMarkedAt + this.pacing.everyMs;
    const dueAt = this.touched.size > 0 ? next : Math.max(next, this.lastAllMarkedAt + this.pacing.idleEveryMs);
    this.timer = setTimeout(() => void this.sendUnmarked(), Math.max(0, dueAt - performance.now()));
  }

  private async sendUnmarked(): Promise<void> {
    this.timer = null;
    const checkpoint = this.unmarked;
    if (checkpoint === null || this.stopped) return;
    const due = this.takeTurn();
    if (due !== null) {
      try {
        await this.send(this.watermarksOf(checkpoint, due));
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ err: error }, 'watermarks not sent; trying again');
        for (const topic of due) this.touched.add(topic);
        this.unmarked ??= checkpoint;
      }
    }
    this.schedule(); // a timer that fired a moment early, or every topic's marks still to come
  }
}

/** `b`'s messages after `a`'s, topic by topic. */
function merge(a: TopicMessages[], b: TopicMessages[]): TopicMessages[] {
  const topics = new Map(a.map(({ topic, messages }) => [topic, [...messages]]));
  for (const { topic, messages } of b) topics.set(topic, [...(topics.get(topic) ?? []), ...messages]);
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

const byTopic = (topics: ReadonlyMap<string, Message[]>): TopicMessages[] => [...topics].map(([topic, messages]) => ({ topic, messages }));

/** What a message adds to a request: its key, value and headers, and its framing. */
function bytesOf(message: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += name.length + (Array.isArray(value) ? value.reduce((sum: number, item) => sum + byteLength(item), 0) : byteLength(value));
  }
  return bytes;
}

const byteLength = (value: string | Buffer | null | undefined): number => (value == null ? 0 : Buffer.byteLength(value));
