// Comments, reactions and the feed with Kafka between the log and the read models: a comment, a reaction or a
// follow may be projected before the poll it is about.
import { serverTestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { engagementHttpSuite } from './engagement-http-suite.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'polls engagement API on PostgreSQL and Kafka');
const brokers = serviceUrl('KAFKA_BROKERS', 'polls engagement API on PostgreSQL and Kafka');

if (databaseUrl !== undefined && brokers !== undefined) {
  engagementHttpSuite({
    name: 'kafka',
    env: async () => {
      const db = await serverTestDatabase(databaseUrl);
      await db.database.close();
      return { env: { DATABASE_URL: db.url!, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: testTopicPrefix(), KAFKA_TOPIC_PARTITIONS: '3' }, cleanup: db.drop };
    },
  });
}
