// A consumer fed by Kafka must move its fetch position as it applies batches: a backlog larger than one fetch
// (1 MiB per partition in kafkajs) is applied to its end, each event once, and a caught-up consumer reads
// nothing while the log is idle.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { Position, RecordedEvent } from '../../application/ports/event-store.js';
import { feedbackModule } from '../../projections/feedback/module.js';
import { consumerGroupLag, createKafka, ensureTopics, withAdmin } from '../../infrastructure/bus/kafka/kafka.js';
import { KafkaTopology } from '../../infrastructure/bus/kafka/kafka-topology.js';
import { KafkaRelay } from '../../infrastructure/bus/kafka/kafka-relay.js';
import { KafkaBus } from '../../infrastructure/bus/kafka/kafka-bus.js';
import { watermarkOf } from '../../infrastructure/bus/kafka/kafka-messages.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { Metrics } from '../../infrastructure/metrics.js';
import type { EventConsumer, Progress } from '../../projections/event-consumer.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import type { Projection } from '../../projections/projection.js';
import { newEvent } from '../support/events.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { consumeUntil, relayedThrough, testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { upcasting } from '../support/upcasting.js';

const brokers = serviceUrl('KAFKA_BROKERS', 'Kafka backlog');
const databaseUrl = serviceUrl('DATABASE_URL', 'Kafka backlog');

const PARTITIONS = 3;
/** kafkajs's default maxBytesPerPartition: what one fetch brings at most from a partition. */
const FETCH_BYTES = 1024 * 1024;
/** Each event carries this much text, so a message is at least this large. */
const PAYLOAD_BYTES = 600;
/** Without a new row for this long, the consumer has stopped for good: report how far it got. */
const STALLED_MS = 30_000;
const IDLE_MS = 2500;

/** Counts what the consumer is handed, in order, before passing it on. */
class CountingConsumer implements EventConsumer {
  readonly name: string;
  readonly categories: readonly string[];
  readonly health: EventConsumer['health'];
  calls = 0;
  /** The most partitions one delivery covered. */
  widest = 0;
  readonly delivered: string[] = [];

  constructor(private readonly inner: EventConsumer) {
    this.name = inner.name;
    this.categories = inner.categories;
    this.health = inner.health;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  resumeFrom(): Promise<Position | null> {
    return this.inner.resumeFrom();
  }

  process(events: readonly RecordedEvent[], progress: Progress, signal: AbortSignal): Promise<void> {
    this.calls++;
    if (progress.kind === 'offsets') this.widest = Math.max(this.widest, progress.partitions.length);
    this.delivered.push(...events.map((event) => event.eventId));
    return this.inner.process(events, progress, signal);
  }
}

/** One row per applied event; the primary key makes a second application of an event fail loudly. */
const backlogProjection: Projection = {
  name: 'backlog',
  version: 1,
  categories: ['feedback'],
  handles: ['Noted'],
  tables: ['backlog_applied'],
  async apply(tx, events) {
    await sql`
      insert into backlog_applied (event_id, stream_id, revision)
      select * from unnest(${events.map((e) => e.eventId)}::text[], ${events.map((e) => e.streamId)}::text[], ${events.map((e) => e.revision)}::int[])
    `.execute(tx);
  },
};

type Pipeline = Readonly<{
  db: TestDatabase;
  store: PostgresEventStore;
  consumer: CountingConsumer;
  /** Appends `streams` streams of `perStream` events each, in one append per stream; returns the event ids. */
  append(streams: number, perStream: number): Promise<string[]>;
  /** Resolves once the relay has produced everything in the store. */
  relayed(): Promise<void>;
  startConsumer(): void;
  /** Rows in the read model once it holds `expected`, or once it stopped growing short of that. */
  appliedRows(expected: number): Promise<number>;
  /** Event messages (watermarks left out) in each partition of the topic. */
  messagesPerPartition(): Promise<number[]>;
  /** Resolves once the consumer group has committed every message of the topic. */
  committedAll(): Promise<number>;
  stop(): Promise<void>;
}>;

async function startPipeline(databaseUrl: string, brokers: string): Promise<Pipeline> {
  const db = await serverTestDatabase(databaseUrl);
  await sql`create table backlog_applied (event_id text primary key, stream_id text not null, revision integer not null)`.execute(db.database.db);
  const logger = pino({ level: 'silent' });
  const kafka = createKafka(brokers.split(','), 'backlog-test', logger);
  const topology = new KafkaTopology(testTopicPrefix(), [feedbackModule], randomUUID());
  await ensureTopics(kafka, topology.allTopics(), PARTITIONS);
  const topic = topology.topicOf('feedback')!;
  const store = new PostgresEventStore(db.database, { pollIntervalMs: 50 });
  const applier = new ProjectionApplier(db.database.db, store, backlogProjection, logger, {
    maxAttempts: 2,
    retryMinMs: 10,
    retryMaxMs: 20,
    isTransient: () => false,
  });
  const consumer = new CountingConsumer(applier);
  const controller = new AbortController();
  const running = [new KafkaRelay(db.database.db, store, kafka, topology, logger, new Metrics(), 1000, { everyMs: 0, idleEveryMs: 0 }).run(controller.signal)];
  const payload = 'x'.repeat(PAYLOAD_BYTES);
  let lastPosition: string | null = null;
  const count = async (): Promise<number> => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from backlog_applied`.execute(db.database.db);
    return rows[0]!.n;
  };
  return {
    db,
    store,
    consumer,
    async append(streams, perStream) {
      const ids: string[] = [];
      for (let s = 0; s < streams; s++) {
        const events = Array.from({ length: perStream }, (_, n) => newEvent('Noted', { n, payload }));
        lastPosition = (await store.append(`feedback-${uuidv7()}`, events, { expectedRevision: 'no_stream' })).position;
        ids.push(...events.map((event) => event.eventId));
      }
      return ids;
    },
    async relayed() {
      if (lastPosition !== null) await relayedThrough(db.database.db, lastPosition);
    },
    startConsumer() {
      running.push(new KafkaBus(kafka, topology, upcasting, logger, new Metrics()).run(consumer, controller.signal));
    },
    async appliedRows(expected) {
      let rows = await count();
      for (let last = rows, since = Date.now(); rows < expected && Date.now() - since < STALLED_MS; rows = await count()) {
        if (rows !== last) [last, since] = [rows, Date.now()];
        await pause(100);
      }
      return rows;
    },
    async messagesPerPartition() {
      const offsets = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic));
      const total = offsets.reduce((sum, { high, low }) => sum + Number(BigInt(high) - BigInt(low)), 0);
      const received = await consumeUntil(kafka, [topic], (messages) => messages.length >= total, { timeoutMs: 120_000, watermarks: true });
      const events = offsets.map(() => 0);
      for (const { partition, message } of received) if (watermarkOf(message) === null) events[partition]!++;
      return events;
    },
    async committedAll() {
      return withAdmin(kafka, async (admin) => {
        let lag = await consumerGroupLag(admin, topology.groupIdOf(consumer.name), [topic]);
        for (let attempt = 0; attempt < 200 && lag !== 0; attempt++) {
          await pause(50);
          lag = await consumerGroupLag(admin, topology.groupIdOf(consumer.name), [topic]);
        }
        return lag;
      });
    },
    async stop() {
      controller.abort();
      await Promise.all(running);
      await db.drop();
    },
  };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const openDeadLetters = async (db: TestDatabase): Promise<number> =>
  (await db.database.db.selectFrom('dead_letters').select('event_id').execute()).length;

if (brokers !== undefined && databaseUrl !== undefined) {
  test.serial('a backlog of several MiB per partition is applied to its end, each event delivered once', async (t) => {
    t.timeout(600_000);
    const pipeline = await startPipeline(databaseUrl, brokers);
    try {
      const ids = await pipeline.append(120, 200);
      await pipeline.relayed();
      const perPartition = await pipeline.messagesPerPartition();
      t.is(perPartition.reduce((a, b) => a + b, 0), ids.length);
      for (const messages of perPartition) {
        t.true(messages * PAYLOAD_BYTES > 2 * FETCH_BYTES, `a partition holds ${messages} messages: more than two fetches' worth`);
      }

      pipeline.startConsumer();
      t.is(await pipeline.appliedRows(ids.length), ids.length, 'the read model reached the end of the backlog');
      t.is(await pipeline.committedAll(), 0, 'the group committed every offset');
      t.is(new Set(pipeline.consumer.delivered).size, ids.length);
      t.is(pipeline.consumer.delivered.length, ids.length, 'no event was delivered twice');
      t.is(pipeline.consumer.widest, PARTITIONS, "a fetch's partitions reach the consumer in one delivery");
      t.is(await openDeadLetters(pipeline.db), 0);
    } finally {
      await pipeline.stop();
    }
  });

  test.serial('a consumer that has caught up reads nothing while the log is idle, and wakes up for the next event', async (t) => {
    t.timeout(300_000);
    const pipeline = await startPipeline(databaseUrl, brokers);
    try {
      const ids = await pipeline.append(10, 30);
      await pipeline.relayed();
      pipeline.startConsumer();
      t.is(await pipeline.appliedRows(ids.length), ids.length);
      t.is(await pipeline.committedAll(), 0);

      const { calls } = pipeline.consumer;
      const delivered = pipeline.consumer.delivered.length;
      await pause(IDLE_MS);
      t.is(pipeline.consumer.calls, calls, 'process() was not called while the log was idle');
      t.is(pipeline.consumer.delivered.length, delivered, 'nothing was redelivered');

      const [next] = await pipeline.append(1, 1);
      t.is(await pipeline.appliedRows(ids.length + 1), ids.length + 1);
      t.deepEqual(pipeline.consumer.delivered.slice(delivered), [next], 'only the new event was delivered');
      t.is(await openDeadLetters(pipeline.db), 0);
    } finally {
      await pipeline.stop();
    }
  });
}
