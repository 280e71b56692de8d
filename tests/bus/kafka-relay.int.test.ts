import test from 'ava';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { feedbackModule } from '../../projections/feedback/module.js';
import { createKafka, ensureTopics, withAdmin } from '../../infrastructure/bus/kafka/kafka.js';
import { KafkaTopology } from '../../infrastructure/bus/kafka/kafka-topology.js';
import { KafkaRelay } from '../../infrastructure/bus/kafka/kafka-relay.js';
import { HEADERS, fromMessage, watermarkOf } from '../../infrastructure/bus/kafka/kafka-messages.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { Metrics } from '../../infrastructure/metrics.js';
import { newEvent, newEvents } from '../support/events.js';
import { serverTestDatabase } from '../support/databases.js';
import { consumeUntil, relayedThrough, testTopicPrefix, type Received } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { upcasting } from '../support/upcasting.js';

const brokers = serviceUrl('KAFKA_BROKERS', 'Kafka relay');
const databaseUrl = serviceUrl('DATABASE_URL', 'Kafka relay');

if (brokers !== undefined && databaseUrl !== undefined) {
  test('the relay produces the log to a topic per context, keyed by stream, and checkpoints after the broker acknowledges', async (t) => {
    const db = await serverTestDatabase(databaseUrl);
    const logger = pino({ level: 'silent' });
    const kafka = createKafka(brokers.split(','), 'relay-test', logger);
    const topology = new KafkaTopology(testTopicPrefix(), [feedbackModule, { name: 'polls', categories: ['poll'] }], randomUUID());
    await ensureTopics(kafka, topology.allTopics(), 3);
    const store = new PostgresEventStore(db.database, { pollIntervalMs: 50 });
    const metrics = new Metrics();
    const relay = (): KafkaRelay => new KafkaRelay(db.database.db, store, kafka, topology, logger, metrics, 50, { everyMs: 0, idleEveryMs: 0 });
    try {
      const feedbackStreams = Array.from({ length: 4 }, () => `feedback-${uuidv7()}`);
      for (const streamId of feedbackStreams) await store.append(streamId, newEvents(30, 'FeedbackThing'), { expectedRevision: 'no_stream' });
      const { position: last } = await store.append(`poll-${uuidv7()}`, newEvents(5, 'PollThing'), { expectedRevision: 'no_stream' });

      // First run: relay everything, then stop.
      let controller = new AbortController();
      let running = relay().run(controller.signal);
      await relayedThrough(db.database.db, last);
      controller.abort();
      await running;

      // Second run resumes from the checkpoint: only what came after is produced.
      const later = `feedback-${uuidv7()}`;
      await store.append(later, newEvents(3, 'FeedbackThing'), { expectedRevision: 'no_stream' });
      controller = new AbortController();
      running = relay().run(controller.signal);

      const feedback = await consumeUntil(kafka, [topology.topicOf('feedback')!], (received) => received.length >= 123);
      const polls = await consumeUntil(kafka, [topology.topicOf('poll')!], (received) => received.length >= 5);
      controller.abort();
      await running;

      t.is(topology.topicOf('poll'), `${topology.prefix}.polls`);
      t.is(feedback.length, 123, 'each event once: the restart re-sent nothing already checkpointed');
      t.is(polls.length, 5);
      const events = feedback.map(({ message }) => ({ key: message.key!.toString(), headers: message.headers!, event: fromMessage(message, upcasting)! }));
      for (const { key, headers, event } of events) {
        t.is(key, event.streamId);
        t.is(headers[HEADERS.type]!.toString(), event.type);
        t.is(headers[HEADERS.eventId]!.toString(), event.eventId);
        t.is(headers[HEADERS.position]!.toString(), event.position);
        t.is(headers[HEADERS.correlationId]!.toString(), 'contract');
        t.is(headers[HEADERS.store]!.toString(), topology.storeId);
      }
      for (const [streamId, count] of [...feedbackStreams.map((id) => [id, 30] as const), [later, 3] as const]) {
        const revisions = events.filter((e) => e.key === streamId).map((e) => e.event.revision);
        t.deepEqual(revisions, Array.from({ length: count }, (_, n) => n), `${streamId} arrives whole and in order`);
      }
      t.true((await metrics.registry.getSingleMetricAsString('chorus_relay_events_total')).includes('chorus_relay_events_total 128'));
    } finally {
      await db.drop();
    }
  });

  test('after each batch every partition of every context topic gets a watermark behind the events it covers, idle ones too', async (t) => {
    const db = await serverTestDatabase(databaseUrl);
    const logger = pino({ level: 'silent' });
    const kafka = createKafka(brokers.split(','), 'relay-watermark-test', logger);
    const topology = new KafkaTopology(testTopicPrefix(), [feedbackModule, { name: 'polls', categories: ['poll'] }], randomUUID());
    const partitions = await ensureTopics(kafka, topology.allTopics(), 3);
    const store = new PostgresEventStore(db.database, { pollIntervalMs: 50 });
    const controller = new AbortController();
    const running = new KafkaRelay(db.database.db, store, kafka, topology, logger, new Metrics(), 7, { everyMs: 0, idleEveryMs: 0 }).run(controller.signal);
    try {
      // Every batch marks every topic (both intervals 0), so that its watermarks are out once its checkpoint is written.
      // Only feedback events: the polls topic stays idle. An unowned category is read past, not produced.
      for (let n = 0; n < 12; n++) await store.append(`feedback-${uuidv7()}`, newEvents(2, 'FeedbackThing'), { expectedRevision: 'no_stream' });
      const { position: head } = await store.append(`nobody-${uuidv7()}`, newEvents(1, 'Orphan'), { expectedRevision: 'no_stream' });
      await relayedThrough(db.database.db, head);

      const topics = topology.eventTopics();
      const total = await withAdmin(kafka, async (admin) => {
        let sum = 0;
        for (const topic of topics) for (const { high, low } of await admin.fetchTopicOffsets(topic)) sum += Number(BigInt(high) - BigInt(low));
        return sum;
      });
      const received = await consumeUntil(kafka, topics, (messages) => messages.length >= total, { watermarks: true });
      t.is(received.filter(({ message }) => watermarkOf(message) === null).length, 24, 'every owned event once, the unowned one not at all');

      for (const topic of topics) {
        t.is(partitions.get(topic), 3);
        for (let partition = 0; partition < 3; partition++) {
          const messages = received.filter((m) => m.topic === topic && m.partition === partition).map(({ message }) => message);
          const marks = messages.flatMap((message, index) => (watermarkOf(message) === null ? [] : [{ index, position: BigInt(watermarkOf(message)!) }]));
          t.true(marks.length > 0, `${topic}/${partition} has watermarks`);
          t.is(marks[marks.length - 1]!.position, BigInt(head), `${topic}/${partition} ends with the relay's checkpoint`);
          t.is(messages[messages.length - 1]!.headers![HEADERS.store]!.toString(), topology.storeId);
          for (const { index, position } of marks) {
            const coveredLater = messages.slice(index + 1).filter((message) => watermarkOf(message) === null && BigInt(fromMessage(message, upcasting)!.position) <= position);
            t.is(coveredLater.length, 0, `no event at or before watermark ${position} follows it in ${topic}/${partition}`);
          }
        }
      }
    } finally {
      controller.abort();
      await running;
      await db.drop();
    }
  });

  test('watermarks go out at most every everyMs, the last batch is marked within that long, and a restart marks the checkpoint', async (t) => {
    const db = await serverTestDatabase(databaseUrl);
    const logger = pino({ level: 'silent' });
    const kafka = createKafka(brokers.split(','), 'relay-pacing-test', logger);
    const topology = new KafkaTopology(testTopicPrefix(), [feedbackModule], randomUUID());
    await ensureTopics(kafka, topology.allTopics(), 2);
    const [topic] = topology.eventTopics();
    const store = new PostgresEventStore(db.database, { pollIntervalMs: 50 });
    const everyMs = 400;
    // Batches of one event: every append is a batch of its own.
    const start = () => {
      const controller = new AbortController();
      const running = new KafkaRelay(db.database.db, store, kafka, topology, logger, new Metrics(), 1, { everyMs, idleEveryMs: everyMs }).run(controller.signal);
      return async () => {
        controller.abort();
        await running;
      };
    };
    /** Each partition's watermarks, read from the start until `done` holds for them (or the deadline passes). */
    const marksUntil = async (done: (marks: bigint[][]) => boolean) => {
      const marksOf = (received: Received[]) =>
        [0, 1].map((partition) =>
          received.filter((m) => m.partition === partition && watermarkOf(m.message) !== null).map((m) => BigInt(watermarkOf(m.message)!)),
        );
      return marksOf(await consumeUntil(kafka, [topic!], (received) => done(marksOf(received)), { watermarks: true }));
    };
    let stop = start();
    try {
      const began = performance.now();
      let head = '';
      for (let n = 0; n < 30; n++) head = (await store.append(`feedback-${uuidv7()}`, newEvents(1, 'FeedbackThing'), { expectedRevision: 'no_stream' })).position;
      await relayedThrough(db.database.db, head);
      const relayedMs = performance.now() - began;
      // The last batch is marked without a later one: consuming ends once every partition has its watermark.
      const marks = await marksUntil((partitions) => partitions.every((p) => p.at(-1) === BigInt(head)));
      for (const partitionMarks of marks) {
        // One round at the first batch and at most one per interval while they were relayed, then the last batch's.
        t.true(partitionMarks.length <= Math.ceil(relayedMs / everyMs) + 2, `${partitionMarks.length} watermarks in ${Math.round(relayedMs)} ms for 30 batches`);
      }

      await stop();
      stop = start();
      // A restart marks the checkpoint once, with nothing new to relay.
      const after = await marksUntil((partitions) => partitions.every((p, partition) => p.length === marks[partition]!.length + 1));
      for (const partitionMarks of after) t.is(partitionMarks.at(-1), BigInt(head));
    } finally {
      await stop();
      await db.drop();
    }
  });

  test('a topic without events since its last watermarks is marked only every idleEveryMs, and then at the checkpoint', async (t) => {
    const db = await serverTestDatabase(databaseUrl);
    const logger = pino({ level: 'silent' });
    const kafka = createKafka(brokers.split(','), 'relay-idle-test', logger);
    const topology = new KafkaTopology(testTopicPrefix(), [feedbackModule, { name: 'polls', categories: ['poll'] }], randomUUID());
    await ensureTopics(kafka, topology.allTopics(), 1);
    const [feedback, polls] = [topology.topicOf('feedback')!, topology.topicOf('poll')!];
    const store = new PostgresEventStore(db.database, { pollIntervalMs: 50 });
    const idleEveryMs = 1500;
    const controller = new AbortController();
    // Batches of one event, every one marked on the topic it went to (everyMs 0).
    const running = new KafkaRelay(db.database.db, store, kafka, topology, logger, new Metrics(), 1, { everyMs: 0, idleEveryMs }).run(controller.signal);
    try {
      const began = performance.now();
      let head = '';
      for (let n = 0; n < 20; n++) head = (await store.append(`feedback-${uuidv7()}`, newEvents(1, 'FeedbackThing'), { expectedRevision: 'no_stream' })).position;
      await relayedThrough(db.database.db, head);
      const relayedMs = performance.now() - began;
      const marksOf = (received: Received[], topic: string) => received.filter((m) => m.topic === topic && watermarkOf(m.message) !== null).map((m) => BigInt(watermarkOf(m.message)!));
      // The idle topic too ends marked at the checkpoint, by the timer: no batch follows.
      const received = await consumeUntil(kafka, [feedback, polls], (messages) => marksOf(messages, polls).at(-1) === BigInt(head), { watermarks: true });
      const [busy, idle] = [marksOf(received, feedback), marksOf(received, polls)];
      t.is(busy.at(-1), BigInt(head));
      t.true(busy.length >= 20, `${busy.length} watermarks on the topic with events, one per batch`);
      t.true(idle.length <= Math.ceil(relayedMs / idleEveryMs) + 2, `${idle.length} watermarks on the idle topic in ${Math.round(relayedMs)} ms`);
    } finally {
      controller.abort();
      await running;
      await db.drop();
    }
  });

  test('a batch larger than a Kafka request may be (1 MiB per partition) goes out in several, in order', async (t) => {
    t.timeout(120_000);
    const db = await serverTestDatabase(databaseUrl);
    const logger = pino({ level: 'silent' });
    const kafka = createKafka(brokers.split(','), 'relay-large-test', logger);
    const topology = new KafkaTopology(testTopicPrefix(), [feedbackModule], randomUUID());
    await ensureTopics(kafka, topology.allTopics(), 1);
    const store = new PostgresEventStore(db.database, { pollIntervalMs: 50 });
    try {
      // 150 events of 15 kB each (5,000 three-byte characters, the longest feedback text) on one stream, so one
      // partition: about 2.3 MB in one batch of the relay.
      const text = '€'.repeat(5000);
      const streamId = `feedback-${uuidv7()}`;
      const events = Array.from({ length: 150 }, (_, n) => newEvent('FeedbackThing', { n, text }));
      let last = '';
      for (let at = 0; at < events.length; at += 50) {
        last = (await store.append(streamId, events.slice(at, at + 50), { expectedRevision: at === 0 ? 'no_stream' : at - 1 })).position;
      }
      const controller = new AbortController();
      const running = new KafkaRelay(db.database.db, store, kafka, topology, logger, new Metrics(), 2000, { everyMs: 0, idleEveryMs: 0 }).run(controller.signal);
      try {
        const received = await consumeUntil(kafka, [topology.topicOf('feedback')!], (messages) => messages.length >= 150, { timeoutMs: 60_000 });
        await relayedThrough(db.database.db, last);
        t.deepEqual(
          received.map(({ message }) => fromMessage(message, upcasting)!.revision),
          Array.from({ length: 150 }, (_, n) => n),
          'every event once, in order',
        );
      } finally {
        controller.abort();
        await running.catch(() => undefined);
      }
    } finally {
      await db.drop();
    }
  });
}
