import { pino } from 'pino';
import { InProcessBus } from '../../infrastructure/bus/inprocess/inprocess-bus.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { freshCategory } from '../support/events.js';
import { eventBusContract } from './event-bus-contract.js';

eventBusContract('in-process', async () => {
  const testDb = await embeddedTestDatabase();
  const store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
  return { store, bus: new InProcessBus(store, pino({ level: 'silent' }), 3), category: freshCategory, close: () => testDb.drop() };
});
