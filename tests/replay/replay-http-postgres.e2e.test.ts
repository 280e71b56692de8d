import { serverTestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { replayHttpSuite } from './replay-http-suite.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'replays over HTTP on PostgreSQL');

if (databaseUrl !== undefined) {
  replayHttpSuite({
    name: 'postgres',
    env: async () => {
      const db = await serverTestDatabase(databaseUrl);
      // The system opens its own pool on the new database; this one only creates and drops it.
      await db.database.close();
      return { env: { DATABASE_URL: db.url! }, cleanup: db.drop };
    },
    shared: true,
  });
}
