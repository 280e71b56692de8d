// The vote booth with Kafka between the log and the tally: the stream follows the read model, whatever feeds it.
import { serverTestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { pollsLiveSuite } from './polls-live-suite.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'live poll results on PostgreSQL and Kafka');
const brokers = serviceUrl('KAFKA_BROKERS', 'live poll results on PostgreSQL and Kafka');

if (databaseUrl !== undefined && brokers !== undefined) {
  pollsLiveSuite({
    name: 'kafka',
    env: async () => {
      const db = await serverTestDatabase(databaseUrl);
      await db.database.close();
      return { env: { DATABASE_URL: db.url!, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: testTopicPrefix(), KAFKA_TOPIC_PARTITIONS: '3' }, cleanup: db.drop };
    },
  });
}
