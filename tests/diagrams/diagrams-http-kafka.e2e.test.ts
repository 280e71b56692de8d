// The diagrams API with Kafka between the log and the read models: the same suite, events relayed.
import { serverTestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { diagramsHttpSuite } from './diagrams-http-suite.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'diagrams API on PostgreSQL and Kafka');
const brokers = serviceUrl('KAFKA_BROKERS', 'diagrams API on PostgreSQL and Kafka');

if (databaseUrl !== undefined && brokers !== undefined) {
  diagramsHttpSuite({
    name: 'kafka',
    env: async () => {
      const db = await serverTestDatabase(databaseUrl);
      await db.database.close();
      return { env: { DATABASE_URL: db.url!, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: testTopicPrefix(), KAFKA_TOPIC_PARTITIONS: '3' }, cleanup: db.drop };
    },
  });
}
