// Counts appends for /metrics around whichever event store is configured.
import { categoryOf, type EventStore } from '../../application/ports/event-store.js';
import type { Metrics } from '../metrics.js';

export function instrumentEventStore(store: EventStore, metrics: Metrics): EventStore {
  return {
    append: async (streamId, events, options) => {
      const result = await store.append(streamId, events, options);
      metrics.eventsAppended.inc({ category: categoryOf(streamId) }, events.length);
      return result;
    },
    storedEventIds: (events) => store.storedEventIds(events),
    readStream: (streamId, options) => store.readStream(streamId, options),
    readAll: (options) => store.readAll(options),
    countEvents: (options) => store.countEvents(options),
    subscribe: (options) => store.subscribe(options),
    headPosition: () => store.headPosition(),
    newestPosition: () => store.newestPosition(),
    comparePositions: (a, b) => store.comparePositions(a, b),
    isPosition: (value) => store.isPosition(value),
    ping: () => store.ping(),
  };
}
