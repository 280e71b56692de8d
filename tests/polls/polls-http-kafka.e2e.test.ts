// The polls API with Kafka between the log and the read models: streams arrive in their own order on several
// partitions, so a vote may be projected before its poll.
import { serverTestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { pollsHttpSuite } from './polls-http-suite.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'polls API on PostgreSQL and Kafka');
const brokers = serviceUrl('KAFKA_BROKERS', 'polls API on PostgreSQL and Kafka');

if (databaseUrl !== undefined && brokers !== undefined) {
  pollsHttpSuite({
    name: 'kafka',
    env: async () => {
      const db = await serverTestDatabase(databaseUrl);
      await db.database.close();
      return { env: { DATABASE_URL: db.url!, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: testTopicPrefix(), KAFKA_TOPIC_PARTITIONS: '3' }, cleanup: db.drop };
    },
  });
}
