import { serverTestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { diagramsHttpSuite } from './diagrams-http-suite.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'diagrams API on PostgreSQL');

if (databaseUrl !== undefined) {
  diagramsHttpSuite({
    name: 'postgres',
    env: async () => {
      const db = await serverTestDatabase(databaseUrl);
      // The system opens its own pool on the new database; this one only creates and drops it.
      await db.database.close();
      return { env: { DATABASE_URL: db.url! }, cleanup: db.drop };
    },
  });
}
