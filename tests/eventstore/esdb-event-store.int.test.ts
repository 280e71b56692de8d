// The contract against a real EventStoreDB (CHORUS_ESDB_URL, e.g. esdb://admin:changeit@localhost:2113?tls=false;
// the credentials must be allowed to read $all), plus the server behaviour the adapter relies on.
import test from 'ava';
import { EsdbEventStore } from '../../infrastructure/eventstore/esdb/esdb-event-store.js';
import { serviceUrl } from '../support/services.js';
import { eventStoreContract, untilReadable } from './event-store-contract.js';
import { collect, freshCategory, freshStream, newEvents } from '../support/events.js';

const esdbUrl = serviceUrl('CHORUS_ESDB_URL', 'EventStoreDB event store contract', { installable: false });

if (esdbUrl !== undefined) {
  eventStoreContract('EventStoreDB', async () => {
    const store = new EsdbEventStore(esdbUrl, { idleCheckpointMs: 200 });
    // The server checks event ids per stream; there is no index by id to make them unique store-wide.
    return { store, close: () => store.close(), capabilities: { uniqueEventIdsAcrossStreams: false } };
  });

  let store: EsdbEventStore;
  test.before(() => {
    store = new EsdbEventStore(esdbUrl, { idleCheckpointMs: 200 });
  });
  test.after.always(async () => {
    await store?.close();
  });

  // The adapter reads an append's position back from the stream (server 22.6+ reports $all positions there).
  test('EventStoreDB: positions read from a stream are the positions of the same events in $all', async (t) => {
    const category = freshCategory();
    const streamId = freshStream(category);
    const { position } = await store.append(streamId, newEvents(3), { expectedRevision: 'no_stream' });
    await untilReadable(store, position);
    const fromStream = await collect(store.readStream(streamId));
    const fromAll = await collect(store.readAll({ categories: [category] }));
    t.deepEqual(
      fromAll.map((e) => [e.eventId, e.position]),
      fromStream.map((e) => [e.eventId, e.position]),
    );
  });
}
