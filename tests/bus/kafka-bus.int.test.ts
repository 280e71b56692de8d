import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { KafkaBus } from '../../infrastructure/bus/kafka/kafka-bus.js';
import { createKafka, ensureTopics } from '../../infrastructure/bus/kafka/kafka.js';
import { KafkaTopology } from '../../infrastructure/bus/kafka/kafka-topology.js';
import { KafkaRelay } from '../../infrastructure/bus/kafka/kafka-relay.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { Metrics } from '../../infrastructure/metrics.js';
import { serverTestDatabase } from '../support/databases.js';
import { freshCategory } from '../support/events.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { upcasting } from '../support/upcasting.js';
import { eventBusContract } from './event-bus-contract.js';

const brokers = serviceUrl('KAFKA_BROKERS', 'the Kafka bus contract');
const databaseUrl = serviceUrl('DATABASE_URL', 'the Kafka bus contract');

if (brokers !== undefined && databaseUrl !== undefined) {
  eventBusContract('Kafka', async () => {
    const logger = pino({ level: 'silent' });
    const testDb = await serverTestDatabase(databaseUrl);
    const store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
    const kafka = createKafka(brokers.split(','), 'bus-contract', logger);
    // Each category the test asks for is a context of its own, with its topic.
    const categories = [freshCategory(), freshCategory(), freshCategory()];
    const topology = new KafkaTopology(testTopicPrefix(), categories.map((category) => ({ name: category, categories: [category] })), randomUUID());
    await ensureTopics(kafka, topology.allTopics(), 2);
    const relaying = new AbortController();
    const relay = new KafkaRelay(testDb.database.db, store, kafka, topology, logger, new Metrics(), 100).run(relaying.signal);
    return {
      store,
      bus: new KafkaBus(kafka, topology, upcasting, logger, new Metrics(), 3),
      category: () => categories.shift()!,
      close: async () => {
        relaying.abort();
        await relay;
        await testDb.drop();
      },
    };
  });
}
