// The drafts dashboard, evaluator and recommender with Kafka between the log and the consumers: a draft's and its
// speaker's streams arrive on different partitions, so the recommender waits for the dashboard's watermarks.
import { serverTestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { draftsDashboardHttpSuite } from './drafts-dashboard-http-suite.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'drafts dashboard on PostgreSQL and Kafka');
const brokers = serviceUrl('KAFKA_BROKERS', 'drafts dashboard on PostgreSQL and Kafka');

if (databaseUrl !== undefined && brokers !== undefined) {
  draftsDashboardHttpSuite({
    name: 'kafka',
    env: async () => {
      const db = await serverTestDatabase(databaseUrl);
      await db.database.close();
      return { env: { DATABASE_URL: db.url!, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: testTopicPrefix(), KAFKA_TOPIC_PARTITIONS: '3' }, cleanup: db.drop };
    },
  });
}
