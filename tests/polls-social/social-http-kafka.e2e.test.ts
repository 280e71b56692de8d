// The social routes with their consumers fed by Kafka (three partitions a topic): the notifications processor in
// its consumer group, events of one poll's streams in different partitions.
import { serverTestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { socialHttpSuite } from './social-http-suite.js';

const suite = 'polls social API on PostgreSQL and Kafka';
const databaseUrl = serviceUrl('DATABASE_URL', suite);
const kafkaBrokers = serviceUrl('KAFKA_BROKERS', suite);

if (databaseUrl !== undefined && kafkaBrokers !== undefined) {
  socialHttpSuite({
    name: 'kafka',
    env: async () => {
      const db = await serverTestDatabase(databaseUrl);
      await db.database.close();
      return {
        env: { DATABASE_URL: db.url!, KAFKA_BROKERS: kafkaBrokers, KAFKA_TOPIC_PREFIX: testTopicPrefix(), KAFKA_TOPIC_PARTITIONS: '3' },
        cleanup: db.drop,
      };
    },
  });
}
