import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { eventStoreContract } from './event-store-contract.js';

eventStoreContract('PGlite', async () => {
  const { database, drop } = await embeddedTestDatabase();
  return { store: new PostgresEventStore(database, { pollIntervalMs: 200 }), close: drop };
});
