// Upcasters: chained per type from the event's schema to the current one, nothing done to an event that is current,
// every read of the decorated store upcast, and everything else passed to the store as it came.
import test from 'ava';
import { Upcasting, upcastingEventStore, type Upcaster } from '../../application/eventstore/upcasting.js';
import type { EventStore, RecordedEvent, SubscriptionBatch } from '../../application/ports/event-store.js';
import { collect, metadata } from '../support/events.js';

/** A fake type whose name became two fields (schema 2), then gained a title (schema 3). */
const nameSplit: Upcaster = {
  type: 'PersonNamed',
  fromSchema: 1,
  upcast: (data) => {
    const [first, last] = (data as { name: string }).name.split(' ');
    return { first, last };
  },
};
const titleAdded: Upcaster = { type: 'PersonNamed', fromSchema: 2, upcast: (data) => ({ ...(data as object), title: null }) };

const recorded = (type: string, data: unknown, schema: number): RecordedEvent => ({
  eventId: '01a2041a-9df6-7589-a81b-b54b1095756f',
  type,
  streamId: 'person-1',
  revision: 0,
  position: '1',
  data,
  metadata: { ...metadata, schema },
});

test('an event of the first schema goes through the whole chain, and says it is of the last', (t) => {
  const upcasting = new Upcasting([titleAdded, nameSplit]); // registered in any order
  const old = recorded('PersonNamed', { name: 'Ada Lovelace' }, 1);
  const upcast = upcasting.upcast(old);
  t.deepEqual(upcast, { ...old, data: { first: 'Ada', last: 'Lovelace', title: null }, metadata: { ...metadata, schema: 3 } });
  t.deepEqual(old.data, { name: 'Ada Lovelace' }, 'the stored event is left as it was');
  t.deepEqual(upcasting.upcast(recorded('PersonNamed', { first: 'Ada', last: 'Lovelace' }, 2)).data, { first: 'Ada', last: 'Lovelace', title: null });
});

test('an event of the current schema, a newer one or a type without upcasters is handed back as the same object', (t) => {
  const upcasting = new Upcasting([nameSplit, titleAdded]);
  for (const event of [recorded('PersonNamed', { first: 'A', last: 'B', title: 'Dr' }, 3), recorded('PersonNamed', {}, 4), recorded('Other', { n: 1 }, 1)]) {
    t.is(upcasting.upcast(event), event);
  }
  const current = [recorded('Other', {}, 1), recorded('PersonNamed', {}, 3)];
  t.is(upcasting.upcastAll(current), current, 'a batch with nothing to upcast is the same array');
  const mixed = [current[0]!, recorded('PersonNamed', { name: 'Ada Lovelace' }, 1)];
  const upcast = upcasting.upcastAll(mixed);
  t.is(upcast[0], mixed[0]);
  t.is(upcast[1]!.metadata.schema, 3);
});

test('the current schema of a type is one past its last upcaster, and 1 without any', (t) => {
  const upcasting = new Upcasting([nameSplit, titleAdded]);
  t.is(upcasting.currentSchema('PersonNamed'), 3);
  t.is(upcasting.currentSchema('Other'), 1);
});

test('two upcasters from the same schema of a type, or a chain that skips a schema, are refused at construction', (t) => {
  t.throws(() => new Upcasting([nameSplit, titleAdded, { ...nameSplit }]), { message: 'Two upcasters take PersonNamed from schema 1' });
  t.throws(() => new Upcasting([titleAdded]), { message: /PersonNamed take it from schemas 2: they must take it from 1/ });
  t.throws(() => new Upcasting([nameSplit, { ...titleAdded, fromSchema: 3 }]), { message: /from schemas 1, 3/ });
  t.notThrows(() => new Upcasting([nameSplit, { ...nameSplit, type: 'CompanyNamed' }]), 'the same schema of another type');
});

/** A store that hands out one old event on every read, and records what it is asked. */
function recordingStore(event: RecordedEvent) {
  const asked: unknown[] = [];
  const ask = <T>(question: unknown, answer: T): T => {
    asked.push(question);
    return answer;
  };
  const reads = async function* (): AsyncIterable<RecordedEvent> {
    yield event;
  };
  const batches = async function* (): AsyncIterable<SubscriptionBatch> {
    yield { events: [event], checkpoint: '1' };
  };
  const store: EventStore = {
    append: async (streamId, events) => ask(events, { nextRevision: 0, position: '1' }),
    storedEventIds: async (events) => ask(events, new Set<string>()),
    readStream: (streamId, options) => ask(options, reads()),
    readAll: (options) => ask(options, reads()),
    countEvents: async (options) => ask(options, 1),
    subscribe: (options) => ask(options, batches()),
    headPosition: async () => '1',
    newestPosition: async () => '1',
    comparePositions: (a, b) => Number(a) - Number(b),
    isPosition: (value) => /^\d+$/.test(value),
    ping: async () => undefined,
  };
  return { store, asked };
}

test('the decorated store upcasts every read: a stream, the log, and subscriptions', async (t) => {
  const old = recorded('PersonNamed', { name: 'Ada Lovelace' }, 1);
  const { store } = recordingStore(old);
  const upcasting = upcastingEventStore(store, new Upcasting([nameSplit, titleAdded]));
  const current = { first: 'Ada', last: 'Lovelace', title: null };
  t.deepEqual((await collect(upcasting.readStream('person-1'))).map((event) => [event.data, event.metadata.schema]), [[current, 3]]);
  t.deepEqual((await collect(upcasting.readAll())).map((event) => [event.data, event.metadata.schema]), [[current, 3]]);
  const [batch] = await collect(upcasting.subscribe({ signal: new AbortController().signal }));
  t.deepEqual(batch!.events.map((event) => event.data), [current]);
  t.is(batch!.checkpoint, '1');
});

test('the decorated store passes appends, and the options of every read, to the store as they came', async (t) => {
  const { store, asked } = recordingStore(recorded('Other', {}, 1));
  const upcasting = upcastingEventStore(store, new Upcasting([nameSplit]));
  // Fields this version does not know (selectors added to the port later) must reach the store too.
  const readAllOptions = { from: '1', categories: ['person'], somethingNew: true };
  const countOptions = { categories: ['person'] };
  const subscribeOptions = { from: null, signal: new AbortController().signal };
  const events = [{ eventId: 'e', type: 'PersonNamed', data: { name: 'Ada Lovelace' }, metadata }];
  await collect(upcasting.readAll(readAllOptions));
  await upcasting.countEvents(countOptions);
  await collect(upcasting.subscribe(subscribeOptions));
  await upcasting.append('person-1', events, { expectedRevision: 'any' });
  t.is(asked[0], readAllOptions);
  t.is(asked[1], countOptions);
  t.is(asked[2], subscribeOptions);
  t.is(asked[3], events, 'an append is written as it came: new events carry their schema already');
});
