import { serverTestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { draftsFlowSuite } from './drafts-flow-suite.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'the drafts flow through Kafka');
const brokers = serviceUrl('KAFKA_BROKERS', 'the drafts flow through Kafka');

if (databaseUrl !== undefined && brokers !== undefined) {
  draftsFlowSuite({
    name: 'kafka',
    kafka: true,
    env: async () => {
      const db = await serverTestDatabase(databaseUrl);
      await db.database.close();
      return { env: { DATABASE_URL: db.url!, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: testTopicPrefix(), KAFKA_TOPIC_PARTITIONS: '3' }, cleanup: db.drop };
    },
  });
}
