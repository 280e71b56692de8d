import { serverTestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { replayCliSuite } from './replay-cli-suite.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'chorus replay on PostgreSQL');

if (databaseUrl !== undefined) {
  replayCliSuite({
    name: 'postgres',
    prepare: async () => {
      const db = await serverTestDatabase(databaseUrl);
      // The commands and the seeding open pools of their own; this one only creates and drops the database.
      await db.database.close();
      return { env: { DATABASE_URL: db.url! }, cleanup: db.drop };
    },
    brokers: serviceUrl('KAFKA_BROKERS', 'chorus replay --to-kafka (postgres)'),
  });
}
