// The contract every EventStore adapter passes. Each test works in categories of its own, so the
// suite also holds on a log that other tests write to at the same time.
import test, { type ExecutionContext } from 'ava';
import { ValidationError, WrongExpectedRevision } from '../../domain/kernel/errors.js';
import type { EventStore, RecordedEvent, SubscriptionBatch } from '../../application/ports/event-store.js';
import { collect, freshCategory, freshStream, metadata, newEvent, newEvents } from '../support/events.js';

/**
 * A property an adapter honestly cannot provide, declared so that exactly the assertion on it is skipped, visibly.
 * Omitted or true: the adapter provides it and is held to it.
 */
export type ContractCapabilities = Readonly<{
  /** Appending an event id already stored in another stream is a no-op (EventStoreDB checks ids per stream only). */
  uniqueEventIdsAcrossStreams?: boolean;
}>;

export type ContractSubject = Readonly<{ store: EventStore; close(): Promise<void>; capabilities?: ContractCapabilities }>;

/** The log is readable up to the oldest open writing transaction (gap safety): wait until `position` is. */
export async function untilReadable(store: EventStore, position: string): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const head = await store.headPosition();
    if (head !== null && store.comparePositions(head, position) >= 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`position ${position} never became readable`);
}

/**
 * Reads a subscription until `done` says so (or the deadline passes), then stops it. `done` may act (append) and
 * is awaited before the next batch is read, so an action that fails fails the caller.
 */
export async function subscribeUntil(
  store: EventStore,
  options: { from?: string | null; categories?: readonly string[] },
  done: (received: RecordedEvent[], batches: SubscriptionBatch[]) => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<{ events: RecordedEvent[]; batches: SubscriptionBatch[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: RecordedEvent[] = [];
  const batches: SubscriptionBatch[] = [];
  try {
    for await (const batch of store.subscribe({ ...options, signal: controller.signal })) {
      batches.push(batch);
      events.push(...batch.events);
      if (await done(events, batches)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return { events, batches };
}

export function eventStoreContract(adapter: string, open: () => Promise<ContractSubject>): void {
  let subject: ContractSubject;
  const store = (): EventStore => subject.store;

  test.before(async () => {
    subject = await open();
  });
  test.after.always(async () => {
    await subject?.close();
  });

  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test(`${adapter}: ${title}`, body);

  it('appends to a new stream with no_stream and reads it back in revision order', async (t) => {
    const streamId = freshStream();
    const events = newEvents(3);
    const result = await store().append(streamId, events, { expectedRevision: 'no_stream' });
    const read = await collect(store().readStream(streamId));
    t.is(result.nextRevision, 2);
    t.deepEqual(
      read.map((e) => [e.eventId, e.revision, e.type, e.streamId]),
      events.map((e, n) => [e.eventId, n, e.type, streamId]),
    );
    t.deepEqual(read[1]!.data, { n: 1 });
    t.deepEqual(read[0]!.metadata, metadata);
    t.is(read[2]!.position, result.position);
    t.true(store().comparePositions(read[0]!.position, read[1]!.position) < 0);
    t.true(store().comparePositions(read[1]!.position, read[2]!.position) < 0);
  });

  it('no_stream on an existing stream conflicts and reports the actual revision', async (t) => {
    const streamId = freshStream();
    await store().append(streamId, newEvents(2), { expectedRevision: 'no_stream' });
    const error = await t.throwsAsync(store().append(streamId, newEvents(1), { expectedRevision: 'no_stream' }), {
      instanceOf: WrongExpectedRevision,
    });
    t.is(error?.actual, 1);
    t.is(error?.code, 'STREAM.WRONG_EXPECTED_REVISION');
  });

  it('an exact expected revision appends; a stale or future one conflicts and stores nothing', async (t) => {
    const streamId = freshStream();
    await store().append(streamId, newEvents(1), { expectedRevision: 'no_stream' });
    t.is((await store().append(streamId, newEvents(2), { expectedRevision: 0 })).nextRevision, 2);
    await t.throwsAsync(store().append(streamId, newEvents(1), { expectedRevision: 0 }), { instanceOf: WrongExpectedRevision });
    await t.throwsAsync(store().append(streamId, newEvents(1), { expectedRevision: 7 }), { instanceOf: WrongExpectedRevision });
    await t.throwsAsync(store().append(freshStream(), newEvents(1), { expectedRevision: 0 }), { instanceOf: WrongExpectedRevision });
    t.is((await collect(store().readStream(streamId))).length, 3);
  });

  it('tells which of a batch of event ids it holds, whatever their case, and holds nothing for an id that is not a uuid', async (t) => {
    const [a, b] = [freshStream(), freshStream()];
    const inA = newEvents(2);
    const inB = newEvents(1);
    await store().append(a, inA, { expectedRevision: 'no_stream' });
    await store().append(b, inB, { expectedRevision: 'no_stream' });
    const unknown = newEvents(1)[0]!.eventId;
    const stored = await store().storedEventIds([
      { streamId: a, eventId: inA[0]!.eventId.toUpperCase() },
      { streamId: a, eventId: inA[1]!.eventId },
      { streamId: b, eventId: inB[0]!.eventId },
      { streamId: b, eventId: unknown },
      { streamId: freshStream(), eventId: 'not-a-uuid' },
    ]);
    t.deepEqual([...(await store().storedEventIds([{ streamId: b, eventId: inA[0]!.eventId }]))], [], 'an id stored in another stream than asked');
    t.deepEqual([...stored].sort(), [inA[0]!.eventId, inA[1]!.eventId, inB[0]!.eventId].map((id) => id.toLowerCase()).sort());
    t.deepEqual([...(await store().storedEventIds([]))], []);
  });

  it('any appends whether or not the stream exists', async (t) => {
    const streamId = freshStream();
    t.is((await store().append(streamId, newEvents(2), { expectedRevision: 'any' })).nextRevision, 1);
    t.is((await store().append(streamId, newEvents(1), { expectedRevision: 'any' })).nextRevision, 2);
  });

  it('of concurrent appends expecting the same revision exactly one wins', async (t) => {
    const streamId = freshStream();
    await store().append(streamId, newEvents(1), { expectedRevision: 'no_stream' });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => store().append(streamId, newEvents(2), { expectedRevision: 0 })),
    );
    t.is(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    for (const o of outcomes) if (o.status === 'rejected') t.true(o.reason instanceof WrongExpectedRevision);
    t.deepEqual(
      (await collect(store().readStream(streamId))).map((e) => e.revision),
      [0, 1, 2],
    );
  });

  it('a multi-event append is all or nothing', async (t) => {
    const streamId = freshStream();
    const unstorable = newEvent('Bad', { text: 'nul \u0000 inside' });
    await t.throwsAsync(store().append(streamId, [newEvent(), unstorable], { expectedRevision: 'no_stream' }), {
      instanceOf: ValidationError,
      message: /U\+0000/,
    });
    t.deepEqual(await collect(store().readStream(streamId)), []);
    t.is((await store().append(streamId, newEvents(1), { expectedRevision: 'no_stream' })).nextRevision, 0);
  });

  it('refuses a lone UTF-16 surrogate in event data like U+0000, and stores a surrogate pair', async (t) => {
    const streamId = freshStream();
    for (const text of ['half \ud800 of a pair', 'low \udfff alone']) {
      const error = await t.throwsAsync(store().append(streamId, [newEvent('Bad', { text })], { expectedRevision: 'any' }), { instanceOf: ValidationError });
      t.is((error as ValidationError).code, 'EVENT_STORE.UNSUPPORTED_CHARACTER', text);
    }
    t.deepEqual(await collect(store().readStream(streamId)), []);
    await store().append(streamId, [newEvent('Fine', { text: 'a pair \ud83d\ude00' })], { expectedRevision: 'no_stream' });
    t.deepEqual((await collect(store().readStream(streamId))).map((e) => (e.data as { text: string }).text), ['a pair \ud83d\ude00']);
  });

  it('rejects appends it cannot take, with codes', async (t) => {
    const streamId = freshStream();
    const codeOf = async (promise: Promise<unknown>) => (await t.throwsAsync(promise, { instanceOf: ValidationError }))?.code;
    t.is(await codeOf(store().append(streamId, [], { expectedRevision: 'any' })), 'EVENT_STORE.EMPTY_APPEND');
    t.is(await codeOf(store().append('', newEvents(1), { expectedRevision: 'any' })), 'EVENT_STORE.INVALID_STREAM');
    const twice = newEvent();
    t.is(await codeOf(store().append(streamId, [twice, twice], { expectedRevision: 'any' })), 'EVENT_STORE.DUPLICATE_EVENT_ID');
    t.is(
      await codeOf(store().append(streamId, [{ ...newEvent(), eventId: 'not-a-uuid' }], { expectedRevision: 'any' })),
      'EVENT_STORE.INVALID_EVENT_ID',
    );
    t.is(await codeOf(store().append(streamId, newEvents(1), { expectedRevision: -3 })), 'EVENT_STORE.INVALID_EXPECTED_REVISION');
    t.deepEqual(await collect(store().readStream(streamId)), []);
  });

  it('re-appending stored event ids is a no-op that answers where they were stored', async (t) => {
    const streamId = freshStream();
    const events = newEvents(2);
    const first = await store().append(streamId, events, { expectedRevision: 'no_stream' });
    // A retry of the same append, even with its now-stale expectation, changes nothing.
    t.deepEqual(await store().append(streamId, events, { expectedRevision: 'no_stream' }), first);
    // Event ids are unique store-wide: the same event sent to another stream is not stored again.
    if (subject.capabilities?.uniqueEventIdsAcrossStreams === false) {
      t.log(`does not apply to ${adapter}: it keeps event ids unique per stream only, not store-wide`);
    } else {
      const elsewhere = freshStream();
      t.deepEqual(await store().append(elsewhere, [events[1]!], { expectedRevision: 'any' }), first);
      t.deepEqual(await collect(store().readStream(elsewhere)), []);
    }
    t.is((await collect(store().readStream(streamId))).length, 2);
  });

  it('a batch mixing stored and new events appends only the new ones', async (t) => {
    const streamId = freshStream();
    const stored = newEvent();
    await store().append(streamId, [stored], { expectedRevision: 'no_stream' });
    const fresh = newEvent();
    const result = await store().append(streamId, [stored, fresh], { expectedRevision: 'any' });
    const read = await collect(store().readStream(streamId));
    t.deepEqual(
      read.map((e) => e.eventId),
      [stored.eventId, fresh.eventId],
    );
    t.is(result.nextRevision, 1);
  });

  it('reads a stream from a revision, across pages, and an unknown stream as empty', async (t) => {
    const streamId = freshStream();
    await store().append(streamId, newEvents(1234), { expectedRevision: 'no_stream' });
    const all = await collect(store().readStream(streamId));
    t.deepEqual(
      all.map((e) => e.revision),
      Array.from({ length: 1234 }, (_, n) => n),
    );
    const tail = await collect(store().readStream(streamId, { from: 1230 }));
    t.deepEqual(
      tail.map((e) => e.revision),
      [1230, 1231, 1232, 1233],
    );
    t.deepEqual(await collect(store().readStream(freshStream())), []);
  });

  it('reads the global log from a position, by category, up to a limit', async (t) => {
    const mine = freshCategory();
    const other = freshCategory();
    const first = freshStream(mine);
    await store().append(first, newEvents(2), { expectedRevision: 'no_stream' });
    await store().append(freshStream(other), newEvents(3), { expectedRevision: 'no_stream' });
    const { position } = await store().append(freshStream(mine), newEvents(700), { expectedRevision: 'no_stream' });
    await untilReadable(store(), position);

    const ofMine = await collect(store().readAll({ categories: [mine] }));
    t.is(ofMine.length, 702);
    t.true(ofMine.every((e) => e.streamId.startsWith(`${mine}-`)));
    t.true(ofMine.every((e, n) => n === 0 || store().comparePositions(ofMine[n - 1]!.position, e.position) < 0));

    const afterFirst = await collect(store().readAll({ categories: [mine], from: ofMine[1]!.position }));
    t.is(afterFirst.length, 700);
    t.is((await collect(store().readAll({ categories: [mine, other], limit: 4 }))).length, 4);
    t.is((await collect(store().readAll({ categories: [mine, other] }))).length, 705);
    t.true(store().comparePositions((await store().headPosition())!, ofMine[701]!.position) >= 0);
  });

  it('subscribes: catches up, then delivers live appends', async (t) => {
    const mine = freshCategory();
    const before = newEvents(3);
    const live = newEvents(2);
    await store().append(freshStream(mine), before, { expectedRevision: 'no_stream' });
    let appendedLive = false;
    const { events, batches } = await subscribeUntil(store(), { categories: [mine] }, async (received) => {
      if (received.length === 3 && !appendedLive) {
        appendedLive = true;
        await store().append(freshStream(mine), live, { expectedRevision: 'no_stream' });
      }
      return received.length >= 5;
    });
    t.true(appendedLive, 'the live events were appended while subscribed');
    t.deepEqual(
      events.map((e) => e.eventId),
      [...before, ...live].map((e) => e.eventId),
    );
    for (const batch of batches) {
      for (const e of batch.events) t.true(store().comparePositions(e.position, batch.checkpoint) <= 0);
    }
  });

  it("a subscription's checkpoint moves past events of other categories without delivering them", async (t) => {
    const mine = freshCategory();
    await store().append(freshStream(mine), newEvents(1), { expectedRevision: 'no_stream' });
    let foreign: string | null = null;
    const { events, batches } = await subscribeUntil(store(), { categories: [mine] }, async (_, seen) => {
      foreign ??= (await store().append(freshStream(), newEvents(2), { expectedRevision: 'no_stream' })).position;
      return store().comparePositions(seen.at(-1)!.checkpoint, foreign) >= 0;
    });
    t.not(foreign, null);
    t.true(store().comparePositions(batches.at(-1)!.checkpoint, foreign!) >= 0, 'checkpoint reached the foreign append');
    t.is(events.length, 1, 'only its own category is delivered');
  });

  it('a subscriber sees every event of many concurrent writers exactly once, in position order', async (t) => {
    const category = freshCategory();
    const writers = 8;
    const appendsPerWriter = 25;
    const expected = new Set<string>();
    const subscription = subscribeUntil(store(), { categories: [category] }, (received) => received.length >= expected.size && expected.size === writers * appendsPerWriter * 2, 60_000);
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let n = 0; n < appendsPerWriter; n++) {
          const events = newEvents(2);
          for (const e of events) expected.add(e.eventId);
          // Some writers share streams, so revisions conflict and are retried as `any`.
          await store().append(`${category}-w${writer % 3}-${n % 5}`, events, { expectedRevision: 'any' });
        }
      }),
    );
    const { events } = await subscription;
    const ids = events.map((e) => e.eventId);
    t.is(ids.length, expected.size, 'delivered exactly as many events as were appended');
    t.is(new Set(ids).size, ids.length, 'no event delivered twice');
    t.deepEqual([...ids].sort(), [...expected].sort(), 'every appended event delivered');
    t.true(events.every((e, n) => n === 0 || store().comparePositions(events[n - 1]!.position, e.position) < 0), 'in position order');
  });

  it('counts what readAll would read, by category, from a position, up to a limit', async (t) => {
    const mine = freshCategory();
    await store().append(freshStream(mine), newEvents(7), { expectedRevision: 'no_stream' });
    const { position } = await store().append(freshStream(mine), newEvents(5), { expectedRevision: 'no_stream' });
    await store().append(freshStream(), newEvents(3), { expectedRevision: 'no_stream' });
    await untilReadable(store(), position);
    const all = await collect(store().readAll({ categories: [mine] }));
    t.is(await store().countEvents({ categories: [mine] }), 12);
    t.is(await store().countEvents({ categories: [mine], from: all[6]!.position }), 5);
    t.is(await store().countEvents({ categories: [mine], limit: 4 }), 4);
    t.is(await store().countEvents({ categories: [freshCategory()] }), 0);
  });

  it('selects by stream, type, inclusive position bounds and recorded time, and counts the same selection', async (t) => {
    const mine = freshCategory();
    const [a, b] = [freshStream(mine), freshStream(mine)];
    const typed = (type: string) => ({ ...newEvent(), type });
    await store().append(a, [typed('Opened'), typed('Noted'), typed('Noted')], { expectedRevision: 'no_stream' });
    await new Promise((resolve) => setTimeout(resolve, 250));
    const between = new Date();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await store().append(b, [typed('Opened'), typed('Closed')], { expectedRevision: 'no_stream' });
    // The last append's position: readable, it makes every earlier one readable too.
    const { position } = await store().append(a, [typed('Closed')], { expectedRevision: 2 });
    await untilReadable(store(), position);
    const all = await collect(store().readAll({ categories: [mine] }));
    t.is(all.length, 6);
    const select = async (options: Parameters<EventStore['readAll']>[0]) => {
      const events = await collect(store().readAll({ categories: [mine], ...options }));
      t.is(await store().countEvents({ categories: [mine], ...options }), events.length, 'countEvents agrees with readAll');
      return events.map((event) => `${event.streamId === a ? 'a' : 'b'}${event.revision}:${event.type}`);
    };
    t.deepEqual(await select({ streams: [b] }), ['b0:Opened', 'b1:Closed']);
    t.deepEqual(await select({ types: ['Closed', 'Opened'] }), ['a0:Opened', 'b0:Opened', 'b1:Closed', 'a3:Closed']);
    t.deepEqual(await select({ streams: [a], types: ['Noted'] }), ['a1:Noted', 'a2:Noted']);
    t.deepEqual(await select({ from: all[1]!.position, includeFrom: true, to: all[3]!.position }), ['a1:Noted', 'a2:Noted', 'b0:Opened'], 'both bounds inclusive');
    t.deepEqual(await select({ from: all[1]!.position, to: all[3]!.position }), ['a2:Noted', 'b0:Opened'], 'from alone is exclusive');
    t.deepEqual(await select({ until: between }), ['a0:Opened', 'a1:Noted', 'a2:Noted']);
    t.deepEqual(await select({ since: between }), ['b0:Opened', 'b1:Closed', 'a3:Closed']);
    t.deepEqual(await select({ since: between, types: ['Closed'], limit: 1 }), ['b1:Closed']);
    t.deepEqual(await select({ streams: [] }), [], 'an empty list selects nothing');
  });

  it('the newest position covers every append answered, and the head', async (t) => {
    const { position } = await store().append(freshStream(), newEvents(2), { expectedRevision: 'no_stream' });
    const newest = await store().newestPosition();
    t.not(newest, null);
    t.true(store().comparePositions(newest!, position) >= 0);
    await untilReadable(store(), position);
    const head = await store().headPosition();
    t.true(store().comparePositions((await store().newestPosition())!, head!) >= 0);
  });

  it('compares positions and recognises its own', async (t) => {
    const { position } = await store().append(freshStream(), newEvents(1), { expectedRevision: 'no_stream' });
    t.true(store().isPosition(position));
    t.is(store().comparePositions(position, position), 0);
    t.false(store().isPosition('not-a-position'));
    t.false(store().isPosition(''));
    t.false(store().isPosition('99999999999999999999999'));
    await t.notThrowsAsync(store().ping());
  });
}
