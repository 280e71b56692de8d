// The drafts API with Kafka between the log and the read models: streams arrive in their own order on several
// partitions, so a draft may be projected before its speaker.
import { serverTestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { draftsHttpSuite } from './drafts-http-suite.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'drafts API on PostgreSQL and Kafka');
const brokers = serviceUrl('KAFKA_BROKERS', 'drafts API on PostgreSQL and Kafka');

if (databaseUrl !== undefined && brokers !== undefined) {
  draftsHttpSuite({
    name: 'kafka',
    env: async () => {
      const db = await serverTestDatabase(databaseUrl);
      await db.database.close();
      return { env: { DATABASE_URL: db.url!, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: testTopicPrefix(), KAFKA_TOPIC_PARTITIONS: '3' }, cleanup: db.drop };
    },
  });
}
