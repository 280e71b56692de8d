// Schema evolution: a stored event keeps the schema it was written with, and every reader gets it at its type's
// current schema. Each upcaster takes one type's data from schema n to n + 1; chained, they bring any older event
// up to date. The current schema of a type is one past its last upcaster's (1 without upcasters): what new events
// of that type are written with.
import type { EventStore, RecordedEvent, SubscriptionBatch } from '../ports/event-store.js';

/** Pure: the data of a `type` event of schema `fromSchema`, as schema `fromSchema + 1` has it. */
export type Upcaster = Readonly<{ type: string; fromSchema: number; upcast(data: unknown): unknown }>;

export class Upcasting {
  /** Per type, its upcasters in schema order: the one at index n - 1 takes schema n. */
  private readonly chains = new Map<string, readonly Upcaster[]>();

  /** @throws when two upcasters take a type from the same schema, or a type's upcasters skip a schema. */
  constructor(upcasters: readonly Upcaster[]) {
    const byType = new Map<string, Upcaster[]>();
    for (const upcaster of upcasters) {
      const { type, fromSchema } = upcaster;
      const chain = byType.get(type) ?? [];
      if (chain.some((other) => other.fromSchema === fromSchema)) throw new Error(`Two upcasters take ${type} from schema ${fromSchema}`);
      byType.set(type, [...chain, upcaster]);
    }
    for (const [type, chain] of byType) {
      chain.sort((a, b) => a.fromSchema - b.fromSchema);
      if (chain.some((upcaster, index) => upcaster.fromSchema !== index + 1)) {
        const schemas = chain.map((upcaster) => upcaster.fromSchema).join(', ');
        throw new Error(`The upcasters of ${type} take it from schemas ${schemas}: they must take it from 1, 2, 3 and on, none skipped`);
      }
      this.chains.set(type, chain);
    }
  }

  /** The schema new events of this type are written with. */
  currentSchema(type: string): number {
    return (this.chains.get(type)?.length ?? 0) + 1;
  }

  /** The event at its type's current schema: the same object when it is there already (or newer, or unknown). */
  upcast(event: RecordedEvent): RecordedEvent {
    const chain = this.chains.get(event.type);
    const from = event.metadata.schema;
    if (chain === undefined || !Number.isInteger(from) || from < 1 || from > chain.length) return event;
    let data = event.data;
    for (const upcaster of chain.slice(from - 1)) data = upcaster.upcast(data);
    return { ...event, data, metadata: { ...event.metadata, schema: chain.length + 1 } };
  }

  /** Each event at its current schema: the same array when all of them are there already. */
  upcastAll(events: readonly RecordedEvent[]): readonly RecordedEvent[] {
    let upcast: RecordedEvent[] | null = null;
    for (let index = 0; index < events.length; index++) {
      const current = this.upcast(events[index]!);
      if (current !== events[index]) (upcast ??= [...events])[index] = current;
    }
    return upcast ?? events;
  }
}

/** The store, read through the upcasters: events come out of every read at their current schema. */
export function upcastingEventStore(store: EventStore, upcasting: Upcasting): EventStore {
  const upcastEach = async function* (events: AsyncIterable<RecordedEvent>): AsyncIterable<RecordedEvent> {
    for await (const event of events) yield upcasting.upcast(event);
  };
  const upcastBatches = async function* (batches: AsyncIterable<SubscriptionBatch>): AsyncIterable<SubscriptionBatch> {
    for await (const batch of batches) {
      const events = upcasting.upcastAll(batch.events);
      yield events === batch.events ? batch : { ...batch, events };
    }
  };
  return {
    append: (streamId, events, options) => store.append(streamId, events, options),
    storedEventIds: (events) => store.storedEventIds(events),
    readStream: (streamId, options) => upcastEach(store.readStream(streamId, options)),
    readAll: (options) => upcastEach(store.readAll(options)),
    countEvents: (options) => store.countEvents(options),
    subscribe: (options) => upcastBatches(store.subscribe(options)),
    headPosition: () => store.headPosition(),
    newestPosition: () => store.newestPosition(),
    comparePositions: (a, b) => store.comparePositions(a, b),
    isPosition: (value) => store.isPosition(value),
    ping: () => store.ping(),
  };
}
