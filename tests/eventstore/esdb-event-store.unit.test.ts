// The EventStoreDB adapter without a server: positions, mappings, the U+0000 check, batching, and the append and
// subscription logic against a stand-in that models the server's append checks (IndexWriter.CheckCommit).
import test from 'ava';
import { PassThrough } from 'node:stream';
import { v7 as uuidv7 } from 'uuid';
import {
  ANY,
  BACKWARDS,
  END,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type EventData,
  type EventStoreDBClient,
  type Filter,
  type ReadPosition,
  type ReadRevision,
} from '@eventstore/db-client';
import { ValidationError, WrongExpectedRevision } from '../../domain/kernel/errors.js';
import type { SubscriptionBatch } from '../../application/ports/event-store.js';
import {
  EsdbEventStore,
  SubscriptionBatcher,
  actualRevision,
  assertStorable,
  eventSelector,
  hasUnstorableEscape,
  serverFilter,
  toEsdbExpectedRevision,
  toRecordedEvent,
  type EsdbEvent,
} from '../../infrastructure/eventstore/esdb/esdb-event-store.js';
import {
  comparePositions,
  decodePosition,
  encodePosition,
  isPosition,
  laterPosition,
} from '../../infrastructure/eventstore/esdb/esdb-positions.js';
import { collect, newEvent, newEvents } from '../support/events.js';

// --- positions -------------------------------------------------------------------------------------------------

test('a position is <commit>:<prepare> and decodes back', (t) => {
  const position = encodePosition({ commit: 12_345n, prepare: 12_001n });
  t.is(position, '12345:12001');
  t.deepEqual(decodePosition(position), { commit: 12_345n, prepare: 12_001n });
});

test('positions compare as numbers, by commit and then by prepare', (t) => {
  t.true(comparePositions('9:9', '10:0') < 0, 'numeric, not lexicographic');
  t.true(comparePositions('10:3', '10:5') < 0);
  t.true(comparePositions('11:0', '10:10') > 0);
  t.is(comparePositions('10:10', '10:10'), 0);
  t.true(comparePositions('9223372036854775807:9223372036854775806', '9223372036854775806:9223372036854775806') > 0);
});

test('isPosition accepts what the store issues and nothing else', (t) => {
  for (const valid of ['0:0', '42:42', '42:0', '9223372036854775807:9223372036854775807']) t.true(isPosition(valid), valid);
  const invalid = [
    'not-a-position',
    '',
    '99999999999999999999999',
    '42',
    '42:43', // prepare after commit
    '042:42', // not canonical
    '-1:0',
    '+1:0',
    '9223372036854775808:0', // beyond the server's int64
    '18446744073709551615:18446744073709551615', // the client's END sentinel
    ' 1:1',
    '1:1\n',
    '1.0:1',
  ];
  for (const value of invalid) t.false(isPosition(value), JSON.stringify(value));
  t.throws(() => decodePosition('42:43'), { message: /not an EventStoreDB position/ });
});

test('laterPosition takes the later of two, either missing', (t) => {
  t.is(laterPosition(null, null), null);
  t.is(laterPosition('5:5', null), '5:5');
  t.is(laterPosition(null, '5:5'), '5:5');
  t.is(laterPosition('5:5', '10:0'), '10:0');
  t.is(laterPosition('10:2', '10:1'), '10:2');
});

// --- mappings ----------------------------------------------------------------------------------------------------

test('expected revisions map to the client: no_stream, any, and a bigint revision', (t) => {
  t.is(toEsdbExpectedRevision('no_stream'), NO_STREAM);
  t.is(toEsdbExpectedRevision('any'), ANY);
  t.is(toEsdbExpectedRevision(7), 7n);
  t.is(toEsdbExpectedRevision(0), 0n);
});

test('the actual revision of a conflict is -1 when the stream does not exist', (t) => {
  t.is(actualRevision(NO_STREAM), -1);
  t.is(actualRevision(5n), 5);
});

const metadata = newEvent().metadata;
const esdbEvent = (overrides: Partial<EsdbEvent> = {}): EsdbEvent => ({
  id: uuidv7(),
  type: 'Happened',
  streamId: 'poll-1',
  revision: 3n,
  created: new Date(),
  isJson: true,
  data: { n: 1 },
  metadata,
  position: { commit: 700n, prepare: 700n },
  ...overrides,
});

test('a recorded event maps to the envelope', (t) => {
  const event = esdbEvent();
  t.deepEqual(toRecordedEvent(event), {
    eventId: event.id,
    type: 'Happened',
    streamId: 'poll-1',
    revision: 3,
    position: '700:700',
    data: { n: 1 },
    metadata,
  });
});

test('events Chorus did not write, or without a log position, are refused loudly', (t) => {
  t.throws(() => toRecordedEvent(esdbEvent({ isJson: false, data: new Uint8Array([1]) })), { message: /not JSON/ });
  t.throws(() => toRecordedEvent(esdbEvent({ metadata: undefined })), { message: /no JSON metadata/ });
  t.throws(() => toRecordedEvent(esdbEvent({ metadata: new Uint8Array([1]) })), { message: /no JSON metadata/ });
  t.throws(() => toRecordedEvent(esdbEvent({ position: undefined })), { message: /22\.6/ });
  const sentinel = 2n ** 64n - 1n;
  t.throws(() => toRecordedEvent(esdbEvent({ position: { commit: sentinel, prepare: sentinel } })), { message: /22\.6/ });
});

// --- U+0000 --------------------------------------------------------------------------------------------------------

const codeOf = (fn: () => void): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.code;
    throw error;
  }
  return undefined;
};

test('U+0000 in data, metadata or a key is refused with the shared error', (t) => {
  const code = 'EVENT_STORE.UNSUPPORTED_CHARACTER';
  t.is(codeOf(() => assertStorable([newEvent('Bad', { text: 'nul \u0000 inside' })])), code);
  t.is(codeOf(() => assertStorable([newEvent(), newEvent('Bad', ['\u0000'])])), code);
  t.is(codeOf(() => assertStorable([newEvent('Bad', { ['key\u0000']: 1 })])), code);
  t.is(codeOf(() => assertStorable([{ ...newEvent(), metadata: { ...metadata, correlationId: 'c\u0000' } }])), code);
  t.is(codeOf(() => assertStorable([newEvent('Bad', { text: 'a backslash then nul \\\u0000' })])), code);
});

test('the text \\u0000 (an escaped backslash, then u0000) is not U+0000', (t) => {
  t.is(codeOf(() => assertStorable([newEvent('Fine', { text: 'C:\\u0000\\path', twice: '\\\\u0000' })])), undefined);
  t.false(hasUnstorableEscape(JSON.stringify('\\u0000')));
  t.false(hasUnstorableEscape(JSON.stringify('\\\\u0000')));
  t.true(hasUnstorableEscape(JSON.stringify('\\\\\u0000')));
  t.true(hasUnstorableEscape(JSON.stringify('\\u0000 and \u0000')));
  t.false(hasUnstorableEscape(undefined));
});

test('a lone UTF-16 surrogate is refused like U+0000; a surrogate pair and the text \\ud800 are fine', (t) => {
  const code = 'EVENT_STORE.UNSUPPORTED_CHARACTER';
  t.is(codeOf(() => assertStorable([newEvent('Bad', { text: 'half \ud800 a pair' })])), code);
  t.is(codeOf(() => assertStorable([newEvent('Bad', { text: 'low \udfff alone' })])), code);
  t.is(codeOf(() => assertStorable([newEvent('Bad', { ['key\udc00']: 1 })])), code);
  t.is(codeOf(() => assertStorable([newEvent('Fine', { text: 'a pair \ud83d\ude00', escaped: '\\ud800' })])), undefined);
});

// --- selection ------------------------------------------------------------------------------------------------------

test('categories select stream-name prefixes <category>-, and never system events', (t) => {
  const polls = eventSelector(['poll', 'lead']);
  t.true(polls({ streamId: 'poll-1', type: 'VoteCast' }));
  t.true(polls({ streamId: 'lead-1', type: 'LeadCreated' }));
  t.false(polls({ streamId: 'polling-1', type: 'VoteCast' }), 'a prefix of the category name is another category');
  t.false(polls({ streamId: 'poll-1', type: '$metadata' }));
  const all = eventSelector();
  t.true(all({ streamId: 'feedback-1', type: 'FeedbackSubmitted' }));
  t.false(all({ streamId: '$stats-127.0.0.1:2113', type: '$statsCollected' }));
  t.false(all({ streamId: '$ce-poll', type: '$>' }));
  t.false(eventSelector([])({ streamId: 'poll-1', type: 'VoteCast' }), 'no categories select nothing');
});

test('the server filter is a stream-name prefix filter, or excludes system events, with a checkpoint callback', (t) => {
  const reached = (): void => undefined;
  const byCategory = serverFilter(['poll', 'lead'], reached);
  t.like(byCategory, { filterOn: 'streamName', prefixes: ['poll-', 'lead-'], checkpointInterval: 1, checkpointReached: reached });
  for (const categories of [undefined, []]) {
    t.like(serverFilter(categories, reached), { filterOn: 'eventType', regex: '^[^$].*', checkpointInterval: 1, checkpointReached: reached });
  }
});

// --- batching -------------------------------------------------------------------------------------------------------

const resolvedAt = (commit: number, streamId = 'poll-1', type = 'Happened') => ({
  event: esdbEvent({ streamId, type, position: { commit: BigInt(commit), prepare: BigInt(commit) } }),
});

function bufferOf(...items: unknown[]): PassThrough {
  const buffer = new PassThrough({ objectMode: true, highWaterMark: 1_000 });
  for (const item of items) buffer.write(item);
  return buffer;
}

test('a batch takes up to batchSize selected events; a filter checkpoint waits until the buffer is handed out', (t) => {
  const batcher = new SubscriptionBatcher(eventSelector(['poll']), null);
  const buffer = bufferOf(resolvedAt(10), resolvedAt(20), resolvedAt(30));
  // The server's checkpoint came in after all three (it may overtake them in the client's buffer).
  batcher.noteCheckpoint('50:0');
  const first = batcher.take(buffer, 2)!;
  t.deepEqual(first.events.map((e) => e.position), ['10:10', '20:20']);
  t.is(first.checkpoint, '20:20', 'not past the event still buffered');
  const second = batcher.take(buffer, 2)!;
  t.deepEqual(second.events.map((e) => e.position), ['30:30']);
  t.is(second.checkpoint, '50:0', 'drained: the filter checkpoint holds');
  t.is(batcher.take(buffer, 2), null, 'nothing new');
  t.is(batcher.checkpoint, '50:0');
});

test('records the selector drops still move the checkpoint, which never goes back', (t) => {
  const batcher = new SubscriptionBatcher(eventSelector(['poll']), '5:5');
  const buffer = bufferOf(resolvedAt(10, 'lead-1'), resolvedAt(20, '$stats-1', '$statsCollected'));
  t.deepEqual(batcher.take(buffer, 10), { events: [], checkpoint: '20:20' });
  batcher.noteCheckpoint('15:0');
  t.is(batcher.take(buffer, 10), null, 'an older filter checkpoint changes nothing');
  t.is(batcher.offer('12:12'), null);
  t.deepEqual(batcher.offer('25:25'), { events: [], checkpoint: '25:25' });
});

test('a subscription resumed from a checkpoint hands out nothing until it moves past it', (t) => {
  const batcher = new SubscriptionBatcher(eventSelector(['poll']), '40:40');
  batcher.noteCheckpoint('40:0');
  t.is(batcher.take(bufferOf(), 10), null);
  const batch = batcher.take(bufferOf(resolvedAt(41)), 10)!;
  t.is(batch.checkpoint, '41:41');
});

// --- the store against a stand-in server ------------------------------------------------------------------------

type FakeRecord = EsdbEvent & { position: { commit: bigint; prepare: bigint } };

/**
 * Stands in for EventStoreDB where the adapter's own logic needs a counterpart. Its append checks follow the
 * server's IndexWriter.CheckCommit: an exact expectation behind the stream is idempotent only when the events stand
 * right after it; `any` is idempotent when the first event is known in this stream, and refused when only some are.
 * Its append reply carries the first event's position, as the server's does.
 */
class FakeServer {
  readonly log: FakeRecord[] = [];
  subscription: (PassThrough & { unsubscribe(): Promise<void> }) | undefined;
  subscribeOptions: { fromPosition?: ReadPosition; filter?: Filter } | undefined;
  unsubscribed = 0;
  disposed = false;
  private nextPosition = 1_000n;

  get client(): EventStoreDBClient {
    // A test double for the client methods the adapter calls; the rest of the client is never reached.
    return this as unknown as EventStoreDBClient;
  }

  stream(name: string): FakeRecord[] {
    return this.log.filter((record) => record.streamId === name);
  }

  record(streamId: string, type = 'Happened'): FakeRecord {
    const position = { commit: this.nextPosition, prepare: this.nextPosition };
    this.nextPosition += 100n;
    const record: FakeRecord = { id: uuidv7(), type, streamId, revision: BigInt(this.stream(streamId).length), created: new Date(), isJson: true, data: {}, metadata, position };
    this.log.push(record);
    return record;
  }

  appendToStream = async (streamName: string, events: EventData[], options: { expectedRevision: AppendExpectedRevision }) => {
    const stream = this.stream(streamName);
    const current = stream.length - 1;
    const { expectedRevision } = options;
    const refuse = (): never => {
      throw new WrongExpectedVersionError(undefined, { streamName, expected: expectedRevision, current: current === -1 ? NO_STREAM : BigInt(current) });
    };
    const already = (last: FakeRecord) => ({ success: true, nextExpectedRevision: last.revision, position: undefined });
    if (expectedRevision === ANY) {
      const known = events.map((event) => stream.find((record) => record.id === event.id));
      if (known[0] !== undefined) return known.every((record) => record !== undefined) ? already(known.at(-1)!) : refuse();
    } else {
      const expected = expectedRevision === NO_STREAM ? -1 : Number(expectedRevision);
      if (expected > current) refuse();
      if (expected < current) {
        const inPlace = events.every((event, n) => stream[expected + 1 + n]?.id === event.id);
        return inPlace ? already(stream[expected + events.length]!) : refuse();
      }
    }
    const written = events.map((event) => {
      const record = this.record(streamName, event.type);
      Object.assign(record, { id: event.id, data: JSON.parse(JSON.stringify(event.data)), metadata: event.metadata });
      return record;
    });
    return { success: true, nextExpectedRevision: written.at(-1)!.revision, position: written[0]!.position };
  };

  readStream = (streamName: string, options: { fromRevision?: ReadRevision; direction?: string; maxCount?: number | bigint } = {}) => {
    const stream = this.stream(streamName);
    const backwards = options.direction === BACKWARDS;
    const from = options.fromRevision ?? (backwards ? END : START);
    const ordered = backwards ? [...stream].reverse() : stream;
    const selected = typeof from === 'bigint' ? ordered.filter((r) => (backwards ? r.revision <= from : r.revision >= from)) : ordered;
    return readOf(stream.length === 0 ? new StreamNotFoundError(undefined, streamName) : selected, options.maxCount);
  };

  readAll = (options: { fromPosition?: ReadPosition; direction?: string; maxCount?: number | bigint } = {}) => {
    const backwards = options.direction === BACKWARDS;
    const from = options.fromPosition ?? (backwards ? END : START);
    const ordered = backwards ? [...this.log].reverse() : this.log;
    const selected = typeof from === 'object' ? ordered.filter((r) => comparePositions(encodePosition(r.position), encodePosition(from)) >= 0) : ordered;
    return readOf(selected, options.maxCount);
  };

  subscribeToAll = (options: { fromPosition?: ReadPosition; filter?: Filter }) => {
    this.subscribeOptions = options;
    const subscription = Object.assign(new PassThrough({ objectMode: true }), {
      unsubscribe: async () => {
        this.unsubscribed++;
        subscription.end();
      },
    });
    this.subscription = subscription;
    return subscription;
  };

  dispose = async () => {
    this.disposed = true;
  };

  /** What the server's filter checkpoint callback would be handed. */
  async reachCheckpoint(commit: bigint, prepare = 0n): Promise<void> {
    await this.subscribeOptions!.filter!.checkpointReached!(this.subscription as unknown as AllStreamSubscription, { commit, prepare });
  }
}

async function* readOf(records: FakeRecord[] | Error, maxCount: number | bigint = Number.MAX_SAFE_INTEGER) {
  if (records instanceof Error) throw records;
  for (const record of records.slice(0, Number(maxCount))) yield { event: record };
}

const openStore = (server = new FakeServer()) => ({ server, store: new EsdbEventStore(server.client, { idleCheckpointMs: 20 }) });

test('an append answers with its last event, read back from the stream, not with the reply position', async (t) => {
  const { server, store } = openStore();
  const result = await store.append('poll-1', newEvents(3), { expectedRevision: 'no_stream' });
  const read = await collect(store.readStream('poll-1'));
  t.is(result.nextRevision, 2);
  t.is(result.position, read[2]!.position);
  t.is(result.position, encodePosition(server.log[2]!.position));
  t.deepEqual(read[1]!.data, { n: 1 });
});

test('a retry with a stale expectation is a no-op answering where the events were stored', async (t) => {
  const { server, store } = openStore();
  const events = newEvents(2);
  const first = await store.append('poll-1', events, { expectedRevision: 'no_stream' });
  await store.append('poll-1', newEvents(1), { expectedRevision: 1 });
  t.deepEqual(await store.append('poll-1', events, { expectedRevision: 'no_stream' }), first);
  t.deepEqual(await store.append('poll-1', [events[1]!], { expectedRevision: 'any' }), first);
  t.is(server.stream('poll-1').length, 3);
});

test('a conflict is WrongExpectedRevision with the actual revision, -1 for a missing stream', async (t) => {
  const { store } = openStore();
  await store.append('poll-1', newEvents(2), { expectedRevision: 'no_stream' });
  const stale = await t.throwsAsync(store.append('poll-1', newEvents(1), { expectedRevision: 0 }), { instanceOf: WrongExpectedRevision });
  t.like(stale, { streamId: 'poll-1', expected: 0, actual: 1, code: 'STREAM.WRONG_EXPECTED_REVISION' });
  const existing = await t.throwsAsync(store.append('poll-1', newEvents(1), { expectedRevision: 'no_stream' }), { instanceOf: WrongExpectedRevision });
  t.like(existing, { expected: 'no_stream', actual: 1 });
  const missing = await t.throwsAsync(store.append('poll-2', newEvents(1), { expectedRevision: 3 }), { instanceOf: WrongExpectedRevision });
  t.like(missing, { expected: 3, actual: -1 });
});

test('with any, a batch mixing stored and new events appends only the new ones', async (t) => {
  const { store } = openStore();
  const stored = newEvent();
  await store.append('poll-1', [stored], { expectedRevision: 'no_stream' });
  const fresh = newEvent();
  const result = await store.append('poll-1', [stored, fresh], { expectedRevision: 'any' });
  t.is(result.nextRevision, 1);
  t.deepEqual(
    (await collect(store.readStream('poll-1'))).map((e) => e.eventId),
    [stored.eventId, fresh.eventId],
  );
});

test('with an exact expectation, a batch mixing stored and new events is a conflict that stores nothing', async (t) => {
  const { server, store } = openStore();
  const stored = newEvent();
  await store.append('poll-1', [stored], { expectedRevision: 'no_stream' });
  await t.throwsAsync(store.append('poll-1', [stored, newEvent()], { expectedRevision: 'no_stream' }), { instanceOf: WrongExpectedRevision });
  t.is(server.stream('poll-1').length, 1);
});

test('every event of a refused append found further on in the stream answers where it was stored', async (t) => {
  const { store } = openStore();
  await store.append('poll-1', newEvents(1), { expectedRevision: 'no_stream' });
  const events = newEvents(2);
  const stored = await store.append('poll-1', events, { expectedRevision: 'any' });
  // Expecting revision 0 puts them at 1 and 2, where they are; expecting the stream not to exist does not.
  t.deepEqual(await store.append('poll-1', events, { expectedRevision: 0 }), stored);
  t.deepEqual(await store.append('poll-1', events, { expectedRevision: 'no_stream' }), stored);
});

test('validation comes first: nothing reaches the server', async (t) => {
  const { server, store } = openStore();
  await t.throwsAsync(store.append('poll-1', [newEvent(), newEvent('Bad', { text: '\u0000' })], { expectedRevision: 'any' }), {
    instanceOf: ValidationError,
    message: /U\+0000/,
  });
  await t.throwsAsync(store.append('poll-1', [], { expectedRevision: 'any' }), { instanceOf: ValidationError });
  t.is(server.log.length, 0);
});

test('readStream pages, starts at a revision, and reads an unknown stream as empty', async (t) => {
  const { store } = openStore();
  await store.append('poll-1', newEvents(1234), { expectedRevision: 'no_stream' });
  t.is((await collect(store.readStream('poll-1'))).length, 1234);
  t.deepEqual(
    (await collect(store.readStream('poll-1', { from: 1230 }))).map((e) => e.revision),
    [1230, 1231, 1232, 1233],
  );
  t.deepEqual(await collect(store.readStream('poll-2')), []);
});

test('readAll reads after a position, by category, up to a limit, across pages, without system events', async (t) => {
  const { server, store } = openStore();
  server.record('$stats-1', '$statsCollected');
  await store.append('poll-1', newEvents(2), { expectedRevision: 'no_stream' });
  await store.append('lead-1', newEvents(3), { expectedRevision: 'no_stream' });
  server.record('$$poll-1', '$metadata');
  await store.append('poll-2', newEvents(700), { expectedRevision: 'no_stream' });

  const polls = await collect(store.readAll({ categories: ['poll'] }));
  t.is(polls.length, 702);
  t.true(polls.every((e, n) => n === 0 || comparePositions(polls[n - 1]!.position, e.position) < 0));
  t.is((await collect(store.readAll({ categories: ['poll'], from: polls[1]!.position }))).length, 700);
  t.is((await collect(store.readAll({ categories: ['poll', 'lead'], limit: 4 }))).length, 4);
  t.is((await collect(store.readAll())).length, 705, 'system events are left out');
  t.deepEqual(await collect(store.readAll({ categories: [] })), []);
  t.is((await collect(store.readAll({ from: '1000:0' }))).length, 705, 'from a filter checkpoint');
});

test('headPosition is the newest record, null for an empty log', async (t) => {
  const { server, store } = openStore();
  t.is(await store.headPosition(), null);
  await store.append('poll-1', newEvents(2), { expectedRevision: 'no_stream' });
  const stats = server.record('$stats-1', '$statsCollected');
  t.is(await store.headPosition(), encodePosition(stats.position));
  await t.notThrowsAsync(store.ping());
});

/** Runs a subscription in the background, collecting its batches until stopped. */
function subscribeInBackground(store: EsdbEventStore, options: { categories?: string[]; from?: string; batchSize?: number }) {
  const controller = new AbortController();
  const batches: SubscriptionBatch[] = [];
  const done = (async () => {
    for await (const batch of store.subscribe({ ...options, signal: controller.signal })) batches.push(batch);
  })();
  return { batches, stop: () => controller.abort(), done };
}

const eventually = async (condition: () => boolean): Promise<void> => {
  for (let attempt = 0; attempt < 200 && !condition(); attempt++) await new Promise((resolve) => setTimeout(resolve, 5));
};

test('a subscription starts where asked, filters on the server, hands out batches and stops on abort', async (t) => {
  const { server, store } = openStore();
  const running = subscribeInBackground(store, { categories: ['poll'], from: '900:900', batchSize: 2 });
  await eventually(() => server.subscription !== undefined);
  t.deepEqual(server.subscribeOptions!.fromPosition, { commit: 900n, prepare: 900n });
  t.like(server.subscribeOptions!.filter, { prefixes: ['poll-'] });
  for (const commit of [1000, 1100, 1200]) server.subscription!.write(resolvedAt(commit));
  await eventually(() => running.batches.flatMap((b) => b.events).length === 3);
  t.deepEqual(
    running.batches.flatMap((b) => b.events).map((e) => e.position),
    ['1000:1000', '1100:1100', '1200:1200'],
  );
  t.true(running.batches.every((b) => b.events.length <= 2));
  running.stop();
  await running.done;
  t.is(server.unsubscribed, 1);
});

test("a filter checkpoint moves the subscription's checkpoint without events", async (t) => {
  const { server, store } = openStore();
  const running = subscribeInBackground(store, { categories: ['poll'] });
  await eventually(() => server.subscription !== undefined);
  server.subscription!.write(resolvedAt(1000));
  await eventually(() => running.batches.length === 1);
  await server.reachCheckpoint(5_000n);
  await eventually(() => running.batches.length === 2);
  t.deepEqual(running.batches[1], { events: [], checkpoint: '5000:0' });
  running.stop();
  await running.done;
});

test('a quiet subscription reads ahead and moves its checkpoint past other categories, not past its own', async (t) => {
  const { server, store } = openStore();
  await store.append('poll-1', newEvents(1), { expectedRevision: 'no_stream' });
  const own = server.log[0]!;
  const running = subscribeInBackground(store, { categories: ['poll'] });
  await eventually(() => server.subscription !== undefined);
  server.subscription!.write({ event: own });
  await eventually(() => running.batches.some((b) => b.events.length === 1));
  const foreign = await store.append('lead-1', newEvents(2), { expectedRevision: 'no_stream' });
  server.record('$stats-1', '$statsCollected');
  await eventually(() => running.batches.some((b) => comparePositions(b.checkpoint, foreign.position) > 0));
  const ahead = running.batches.at(-1)!.checkpoint;
  t.is(ahead, encodePosition(server.log.at(-1)!.position), 'past the foreign events and the system event');
  // A later event of its own category, not delivered yet, stops the reading ahead before it.
  const mine = await store.append('poll-2', newEvents(1), { expectedRevision: 'no_stream' });
  await store.append('lead-2', newEvents(1), { expectedRevision: 'no_stream' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.true(running.batches.every((b) => comparePositions(b.checkpoint, mine.position) < 0), 'never past an undelivered event');
  running.stop();
  await running.done;
  t.is(running.batches.flatMap((b) => b.events).length, 1);
});

test('close ends running subscriptions and leaves an injected client open', async (t) => {
  const { server, store } = openStore();
  const running = subscribeInBackground(store, {});
  await eventually(() => server.subscription !== undefined);
  await store.close();
  await running.done;
  t.is(server.unsubscribed, 1);
  t.false(server.disposed);
  t.deepEqual(running.batches, []);
});

test('a subscription whose stream fails throws the error', async (t) => {
  const { server, store } = openStore();
  const running = subscribeInBackground(store, {});
  await eventually(() => server.subscription !== undefined);
  server.subscription!.destroy(new Error('connection lost'));
  await t.throwsAsync(running.done, { message: 'connection lost' });
  t.is(server.unsubscribed, 1);
});
