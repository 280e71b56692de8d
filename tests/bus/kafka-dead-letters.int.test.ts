import test from 'ava';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { feedbackModule } from '../../projections/feedback/module.js';
import { createKafka, ensureTopics } from '../../infrastructure/bus/kafka/kafka.js';
import { KafkaTopology } from '../../infrastructure/bus/kafka/kafka-topology.js';
import { deadLetterPublisher } from '../../infrastructure/bus/kafka/kafka-dead-letters.js';
import { HEADERS } from '../../infrastructure/bus/kafka/kafka-messages.js';
import { KafkaRelay } from '../../infrastructure/bus/kafka/kafka-relay.js';
import { KafkaBus } from '../../infrastructure/bus/kafka/kafka-bus.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { Metrics } from '../../infrastructure/metrics.js';
import { listDeadLetters, type DeadLetter } from '../../projections/dead-letters.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import type { Projection } from '../../projections/projection.js';
import { newEvent } from '../support/events.js';
import { serverTestDatabase } from '../support/databases.js';
import { consumeUntil, relayedThrough, testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { upcasting } from '../support/upcasting.js';

const brokers = serviceUrl('KAFKA_BROKERS', 'dead letters on Kafka');
const databaseUrl = serviceUrl('DATABASE_URL', 'dead letters on Kafka');

if (brokers !== undefined && databaseUrl !== undefined) {
  test('a projection fed by Kafka parks a poison event in the table and on the DLQ topic, and goes on', async (t) => {
    const db = await serverTestDatabase(databaseUrl);
    const logger = pino({ level: 'silent' });
    const kafka = createKafka(brokers.split(','), 'dlq-test', logger);
    const topology = new KafkaTopology(testTopicPrefix(), [feedbackModule], randomUUID());
    await ensureTopics(kafka, topology.allTopics(), 2);
    const store = new PostgresEventStore(db.database, { pollIntervalMs: 50 });
    const applied: string[] = [];
    const picky: Projection = {
      name: 'picky',
      version: 1,
      categories: ['feedback'],
      handles: ['Noted'],
      tables: [],
      async apply(_tx, events) {
        // Fail before recording anything: what a failed batch recorded here would not roll back with it.
        if (events.some((event) => (event.data as { poison?: boolean }).poison === true)) throw new RangeError('cannot digest this one');
        applied.push(...events.map((event) => event.eventId));
      },
    };
    const producer = kafka.producer();
    const applier = new ProjectionApplier(db.database.db, store, picky, logger, {
      maxAttempts: 2,
      retryMinMs: 10,
      retryMaxMs: 20,
      isTransient: () => false,
      publishDeadLetter: deadLetterPublisher(producer, topology.deadLetterTopic, topology.storeId),
    });
    const controller = new AbortController();
    const relay = new KafkaRelay(db.database.db, store, kafka, topology, logger, new Metrics(), 100);
    try {
      const poison = newEvent('Noted', { poison: true });
      const healthy = [newEvent('Noted'), newEvent('Noted')];
      await store.append(`feedback-${uuidv7()}`, [healthy[0]!, poison], { expectedRevision: 'no_stream' });
      const { position: last } = await store.append(`feedback-${uuidv7()}`, [healthy[1]!], { expectedRevision: 'no_stream' });
      const running = [relay.run(controller.signal), new KafkaBus(kafka, topology, upcasting, logger, new Metrics()).run(applier, controller.signal)];

      const [message] = await consumeUntil(kafka, [topology.deadLetterTopic], (received) => received.length >= 1);
      const letter = JSON.parse(message!.message.value!.toString()) as DeadLetter;
      t.like(letter, { consumer: 'projection.picky', error: 'RangeError: cannot digest this one', attempts: 2 });
      t.is(letter.event.eventId, poison.eventId);
      t.is(message!.message.key!.toString(), `projection.picky:${letter.event.streamId}`);
      t.is(message!.message.headers![HEADERS.store]!.toString(), topology.storeId, 'the letter names its store');

      for (let attempt = 0; attempt < 400 && applied.length < 2; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
      t.deepEqual([...applied].sort(), healthy.map((e) => e.eventId).sort(), 'the projection went on past the poison');
      const { items } = await listDeadLetters(db.database.db, { consumer: 'projection.picky', limit: 10 });
      t.deepEqual(items.map((item) => [item.eventId, item.status]), [[poison.eventId, 'open']]);
      await relayedThrough(db.database.db, last); // the relay moved past the poison too
      controller.abort();
      await Promise.all(running);
    } finally {
      controller.abort();
      await producer.disconnect().catch(() => undefined);
      await db.drop();
    }
  });
}
