// The event store on EventStoreDB (gRPC, @eventstore/db-client 6.x), answering like the PostgreSQL one.
// Needs server 22.6 or later (stream reads carry $all positions), credentials that may read $all, and a
// connection to the leader (nodePreference=leader, the default): appends are read back with requiresLeader.
//
// Where EventStoreDB differs and what this adapter does about it:
// - Positions are the transaction log's (commit, prepare) pair, kept as `<commit>:<prepare>` (esdb-positions.ts).
// - An append's reply does not carry its last event's position (for several events the server reports the first
//   one's prepare position), so that position is read back from the stream: one more round trip per append.
// - Idempotency: the server itself treats a retried append with an exact expected revision (or no_stream) as a
//   no-op when the events stand right after that revision (a durable index check). With `any` it only looks in a
//   bounded cache of recently written event ids. A refused append is looked up in the stream (see settleConflict)
//   so that retries, stale expectations and mixed batches answer as in PostgreSQL. Event ids are NOT unique
//   across streams: the server checks ids per stream only, and there is no index by event id to check against.
// - Subscriptions use the server's stream-name prefix filter; its checkpoints move a subscription's checkpoint
//   past other categories, and a quiet subscription also reads ahead itself (checkpointAhead).
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type CurrentRevision,
  type EventData,
  type Filter,
  type JSONType,
  type Position as ClientPosition,
} from '@eventstore/db-client';
import { setMaxListeners } from 'node:events';
import { WrongExpectedRevision, type ExpectedRevision } from '../../../domain/kernel/errors.js';
import { Wakeup } from '../wakeup.js';
import { assertAppendable, isEventId, unsupportedCharacter } from '../../../application/eventstore/append-rules.js';
import type {
  AppendResult,
  EventMetadata,
  EventSelection,
  EventStore,
  NewEvent,
  Position,
  ReadAllOptions,
  RecordedEvent,
  StoredEventQuery,
  SubscribeOptions,
  SubscriptionBatch,
} from '../../../application/ports/event-store.js';
import {
  compareLogPositions,
  comparePositions,
  decodePosition,
  encodePosition,
  isLogPosition,
  isPosition,
  laterPosition,
  type LogPosition,
} from './esdb-positions.js';

const PAGE_SIZE = 500;
/** How far a refused append looks for its events beyond the batch itself (see storedInStream). */
const STORED_SCAN_LIMIT = 1_000;

export type EsdbEventStoreOptions = Readonly<{
  /**
   * A subscription that heard nothing for this long reads the log ahead of its checkpoint, so the checkpoint
   * moves past other categories whatever cadence the server's filter checkpoints have.
   */
  idleCheckpointMs: number;
}>;

/** The fields of the client's recorded events (stream reads and $all reads alike) that this adapter uses. */
export type EsdbEvent = Readonly<{
  id: string;
  type: string;
  streamId: string;
  revision: bigint;
  created: Date;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  position?: LogPosition;
}>;

/** What a subscription or a read hands out: the event, absent for records that carry none. */
type EsdbResolvedEvent = Readonly<{ event?: EsdbEvent }>;

export type EventSelector = (event: Pick<EsdbEvent, 'streamId' | 'type'>) => boolean;

export class EsdbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  /** A client built here from a URL is closed here; an injected one belongs to whoever made it. */
  private readonly ownsClient: boolean;
  /** Aborted by close(): ends the subscriptions still running. */
  private readonly closing = new AbortController();

  constructor(
    client: EventStoreDBClient | string,
    private readonly options: EsdbEventStoreOptions,
  ) {
    this.ownsClient = typeof client === 'string';
    this.client = typeof client === 'string' ? EventStoreDBClient.connectionString(client) : client;
    // Every running subscription listens for close(); a dozen projections are not a leak.
    setMaxListeners(0, this.closing.signal);
  }

  async close(): Promise<void> {
    this.closing.abort();
    if (this.ownsClient) await this.client.dispose();
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    { expectedRevision }: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    assertAppendable(streamId, events, expectedRevision);
    assertStorable(events);
    let actual: number;
    try {
      const result = await this.client.appendToStream(streamId, events.map(toEventData), {
        expectedRevision: toEsdbExpectedRevision(expectedRevision),
      });
      if (result.success) return await this.appendedAt(streamId, Number(result.nextExpectedRevision));
      // Only with throwOnAppendFailure=false in the connection string; such replies can misreport the revision.
      actual = await this.lastRevision(streamId);
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      actual = actualRevision(error.actualVersion);
    }
    return this.settleConflict(streamId, events, expectedRevision, actual);
  }

  /**
   * EventStoreDB refuses a retry whose events stand elsewhere than right after its expected revision, and (with
   * `any`) a batch mixing stored and new events. Like the PostgreSQL store: when every event is stored, answer
   * where; with `any`, append the new ones; otherwise it is a real conflict.
   */
  private async settleConflict(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
    actual: number,
  ): Promise<AppendResult> {
    const stored = await this.storedInStream(streamId, events, expected);
    const unknown = events.filter((event) => !stored.has(event.eventId.toLowerCase()));
    if (unknown.length === 0) return stored.get(events[events.length - 1]!.eventId.toLowerCase())!;
    if (expected !== 'any') throw new WrongExpectedRevision(streamId, expected, actual);
    if (unknown.length === events.length) {
      // The server found some of them in its cache of recent ids, but they are older than the tail looked at.
      throw new Error(`EventStoreDB reports events of this append as already in ${streamId}, beyond the ${STORED_SCAN_LIMIT} events looked at`);
    }
    return this.append(streamId, unknown, { expectedRevision: 'any' });
  }

  /**
   * Where the batch's events already stand in the stream: after the expected revision for an exact expectation
   * (where an earlier attempt with it put them), in the tail for `any`. Bounded, so a stream's whole history is
   * never read; an event stored further away counts as unknown.
   */
  private async storedInStream(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<Map<string, AppendResult>> {
    const wanted = new Set(events.map((event) => event.eventId.toLowerCase()));
    const maxCount = events.length + STORED_SCAN_LIMIT;
    const read =
      expected === 'any'
        ? this.client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount, requiresLeader: true })
        : this.client.readStream(streamId, { fromRevision: expected === 'no_stream' ? 0n : BigInt(expected + 1), maxCount, requiresLeader: true });
    const stored = new Map<string, AppendResult>();
    for (const event of await recordedEvents(read)) {
      const id = event.id.toLowerCase();
      if (wanted.has(id)) stored.set(id, { nextRevision: Number(event.revision), position: encodePosition(requirePosition(event)) });
    }
    return stored;
  }

  /** The answer to an append that went through: its last event, read back for its position. */
  private async appendedAt(streamId: string, revision: number): Promise<AppendResult> {
    const [last] = await recordedEvents(this.client.readStream(streamId, { fromRevision: BigInt(revision), maxCount: 1, requiresLeader: true }));
    if (last === undefined) throw new Error(`EventStoreDB acknowledged ${streamId} up to revision ${revision} but cannot read it back`);
    return { nextRevision: revision, position: encodePosition(requirePosition(last)) };
  }

  private async lastRevision(streamId: string): Promise<number> {
    const [last] = await recordedEvents(this.client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1, requiresLeader: true }));
    return last === undefined ? -1 : Number(last.revision);
  }

  /** EventStoreDB finds events by stream only: each stream asked about is read, side by side. */
  async storedEventIds(events: readonly StoredEventQuery[]): Promise<ReadonlySet<string>> {
    const wanted = new Map<string, Set<string>>();
    for (const { streamId, eventId } of events) {
      if (!isEventId(eventId)) continue;
      const ids = wanted.get(streamId) ?? new Set<string>();
      wanted.set(streamId, ids.add(eventId.toLowerCase()));
    }
    const stored = new Set<string>();
    await Promise.all(
      [...wanted].map(async ([streamId, ids]) => {
        for await (const event of this.readStream(streamId)) if (ids.has(event.eventId.toLowerCase())) stored.add(event.eventId.toLowerCase());
      }),
    );
    return stored;
  }

  async *readStream(streamId: string, options: { from?: number } = {}): AsyncIterable<RecordedEvent> {
    let from = Math.max(options.from ?? 0, 0);
    for (;;) {
      // A page is read whole before it is handed out, so a reader that stops early leaves no call open.
      const page = await recordedEvents(this.client.readStream(streamId, { fromRevision: BigInt(from), maxCount: PAGE_SIZE }));
      for (const event of page) yield toRecordedEvent(event);
      if (page.length < PAGE_SIZE) return;
      from = Number(page[page.length - 1]!.revision) + 1;
    }
  }

  /** Filters on the client: the 6.x client offers server-side filters on subscriptions only, not on reads. */
  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const selects = readSelector(options);
    const to = options.to === undefined ? null : decodePosition(options.to);
    let from = options.from ?? null;
    let includeFrom = options.includeFrom === true && from !== null;
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      const page = includeFrom ? await this.readLogFrom(from!, PAGE_SIZE) : await this.readLogAfter(from, PAGE_SIZE);
      for (const event of page) {
        if (to !== null && compareLogPositions(requirePosition(event), to) > 0) return;
        if (!selects(event)) continue;
        yield toRecordedEvent(event);
        if (--remaining === 0) return;
      }
      if (page.length < PAGE_SIZE) return;
      from = encodePosition(requirePosition(page[page.length - 1]!));
      includeFrom = false;
    }
  }

  /** Up to `count` records of the log from `from` (inclusive), system events included. */
  private async readLogFrom(from: Position, count: number): Promise<EsdbEvent[]> {
    return recordedEvents(this.client.readAll({ fromPosition: decodePosition(from), maxCount: count }));
  }

  /** Up to `count` records of the log after `from` (exclusive), system events included. */
  private async readLogAfter(from: Position | null, count: number): Promise<EsdbEvent[]> {
    if (from === null) return recordedEvents(this.client.readAll({ fromPosition: START, maxCount: count }));
    const after = decodePosition(from);
    // A read from a position includes the record there: read one more and drop what is not after it.
    const page = await recordedEvents(this.client.readAll({ fromPosition: after, maxCount: count + 1 }));
    return page.filter((event) => compareLogPositions(requirePosition(event), after) > 0).slice(0, count);
  }

  /** $all has no server-side count: the selected events are read and counted, page by page. */
  async countEvents(options: ReadAllOptions = {}): Promise<number> {
    let count = 0;
    for await (const _ of this.readAll(options)) count++;
    return count;
  }

  async *subscribe(options: SubscribeOptions): AsyncIterable<SubscriptionBatch> {
    const stop = followAborts(options.signal, this.closing.signal);
    const from = options.from ?? null;
    const batchSize = Math.max(options.batchSize ?? PAGE_SIZE, 1);
    const selects = eventSelector(options.categories);
    const batcher = new SubscriptionBatcher(selects, from);
    const wakeup = new Wakeup(stop.signal);
    let subscription: AllStreamSubscription | undefined;
    try {
      if (stop.signal.aborted) return;
      subscription = this.client.subscribeToAll({
        fromPosition: from === null ? START : decodePosition(from),
        filter: serverFilter(options.categories, (_, position) => {
          batcher.noteCheckpoint(encodePosition(position));
          wakeup.wake();
        }),
      });
      const source = new SubscriptionSource(subscription, wakeup.wake);
      while (!stop.signal.aborted) {
        wakeup.arm(); // before reading, so that anything arriving during the read still wakes the wait
        source.throwIfDone();
        const batch = batcher.take(subscription, batchSize) ?? (await this.afterQuiet(wakeup, batcher, selects));
        if (batch !== null) yield batch;
      }
    } finally {
      stop.release();
      wakeup.dispose();
      await unsubscribe(subscription);
    }
  }

  /** Waits for the subscription; when it stays quiet, reads ahead for a checkpoint past other categories. */
  private async afterQuiet(wakeup: Wakeup, batcher: SubscriptionBatcher, selects: EventSelector): Promise<SubscriptionBatch | null> {
    if (await wakeup.wait(this.options.idleCheckpointMs)) return null;
    const ahead = await this.checkpointAhead(batcher.checkpoint, selects);
    return ahead === null ? null : batcher.offer(ahead);
  }

  /**
   * Reads the log after the checkpoint up to the first event the subscription selects: the records before it can
   * never be delivered, so the checkpoint may move past them even if the subscription has not heard of them.
   */
  private async checkpointAhead(checkpoint: Position | null, selects: EventSelector): Promise<Position | null> {
    let passed: Position | null = null;
    for (const event of await this.readLogAfter(checkpoint, PAGE_SIZE)) {
      if (selects(event)) break;
      passed = encodePosition(requirePosition(event));
    }
    return passed;
  }

  /** The newest record of the log. It may be a system event: readers' checkpoints move past those too. */
  async headPosition(): Promise<Position | null> {
    const [newest] = await recordedEvents(this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
    return newest === undefined ? null : encodePosition(requirePosition(newest));
  }

  /** What an append returns is readable at once on EventStoreDB: the newest record is the head. */
  newestPosition(): Promise<Position | null> {
    return this.headPosition();
  }

  comparePositions(a: Position, b: Position): number {
    return comparePositions(a, b);
  }

  isPosition(value: string): boolean {
    return isPosition(value);
  }

  /** One read of $all: a round trip that also proves the credentials can read what subscriptions read. */
  async ping(): Promise<void> {
    await this.headPosition();
  }
}

/**
 * Turns what a subscription buffered into batches whose checkpoint is safe to store: everything at or before it
 * that the selector accepts has been handed out.
 */
export class SubscriptionBatcher {
  private handedOut: Position | null;
  /** The latest filter checkpoint from the server, not handed out yet. */
  private serverCheckpoint: Position | null = null;

  constructor(
    private readonly selects: EventSelector,
    from: Position | null,
  ) {
    this.handedOut = from;
  }

  /** The checkpoint of the last batch (or the subscription's start). */
  get checkpoint(): Position | null {
    return this.handedOut;
  }

  noteCheckpoint(position: Position): void {
    this.serverCheckpoint = laterPosition(this.serverCheckpoint, position);
  }

  /** Up to `batchSize` selected events from what `source` has buffered; null when nothing moved. */
  take(source: { read(): EsdbResolvedEvent | null }, batchSize: number): SubscriptionBatch | null {
    const events: RecordedEvent[] = [];
    let seen: Position | null = null;
    let drained = false;
    while (events.length < batchSize) {
      const resolved = source.read();
      if (resolved === null) {
        drained = true;
        break;
      }
      const event = resolved.event;
      if (event === undefined) continue;
      seen = encodePosition(requirePosition(event));
      if (this.selects(event)) events.push(toRecordedEvent(event));
    }
    // A filter checkpoint is reported as soon as the server sends it, possibly ahead of events still buffered:
    // it only holds once the buffer has been handed out up to it.
    return this.handOut(events, drained ? laterPosition(seen, this.serverCheckpoint) : seen);
  }

  /** A checkpoint found by reading ahead (see EsdbEventStore.checkpointAhead). */
  offer(position: Position): SubscriptionBatch | null {
    return this.handOut([], position);
  }

  private handOut(events: RecordedEvent[], checkpoint: Position | null): SubscriptionBatch | null {
    const advanced = checkpoint !== null && (this.handedOut === null || comparePositions(checkpoint, this.handedOut) > 0);
    if (advanced) this.handedOut = checkpoint;
    if (events.length === 0 && !advanced) return null;
    return { events, checkpoint: this.handedOut! };
  }
}

/** Watches the subscription's stream for what the reading loop must hear of: data, its end, an error. */
class SubscriptionSource {
  private failure: unknown = undefined;
  private ended = false;

  constructor(subscription: AllStreamSubscription, wake: () => void) {
    // A listener stays on 'error' for good: an error emitted with none would crash the process.
    subscription.on('error', (error) => {
      this.failure ??= error;
      wake();
    });
    subscription.on('readable', wake);
    subscription.on('end', () => {
      this.ended = true;
      wake();
    });
  }

  throwIfDone(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) throw new Error('The EventStoreDB subscription ended although nobody stopped it');
  }
}

/** An AbortSignal that aborts with any of `signals`; `release` detaches it from them. */
function followAborts(...signals: AbortSignal[]): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  for (const signal of signals) signal.addEventListener('abort', abort);
  if (signals.some((signal) => signal.aborted)) abort();
  return {
    signal: controller.signal,
    release: () => {
      for (const signal of signals) signal.removeEventListener('abort', abort);
    },
  };
}

async function unsubscribe(subscription: AllStreamSubscription | undefined): Promise<void> {
  try {
    await subscription?.unsubscribe();
  } catch {
    // A subscription that never connected has nothing to cancel; its error has been thrown already.
  }
}

/** The server-side filter: stream-name prefixes `<category>-`, or every non-system event. */
export function serverFilter(
  categories: readonly string[] | undefined,
  checkpointReached: (subscription: AllStreamSubscription, position: ClientPosition) => void,
): Filter {
  // A checkpoint at every interval the server allows; they are cheap and keep projections' checkpoints fresh.
  const checkpoints = { checkpointInterval: 1, checkpointReached };
  // No categories selects nothing: the client-side selector drops everything, checkpoints still move.
  if (categories === undefined || categories.length === 0) return excludeSystemEvents(checkpoints);
  return streamNameFilter({ prefixes: categories.map((category) => `${category}-`), ...checkpoints });
}

/** The same selection on the client: for reads (the client offers no filter there) and to check the server's. */
export function eventSelector(categories?: readonly string[]): EventSelector {
  if (categories === undefined) return (event) => !isSystemEvent(event);
  const prefixes = categories.map((category) => `${category}-`);
  return (event) => !isSystemEvent(event) && prefixes.some((prefix) => event.streamId.startsWith(prefix));
}

/** A read's whole selection on the client: categories, streams, types and the recorded time. */
export function readSelector({ categories, streams, types, since, until }: EventSelection): (event: Pick<EsdbEvent, 'streamId' | 'type' | 'created'>) => boolean {
  const inCategories = eventSelector(categories);
  const streamIds = streams === undefined ? null : new Set(streams);
  const typeNames = types === undefined ? null : new Set(types);
  return (event) =>
    inCategories(event) &&
    (streamIds === null || streamIds.has(event.streamId)) &&
    (typeNames === null || typeNames.has(event.type)) &&
    (since === undefined || event.created >= since) &&
    (until === undefined || event.created < until);
}

/** EventStoreDB's own records ($-types such as $metadata or $>, and $-streams): never Chorus events. */
export const isSystemEvent = (event: Pick<EsdbEvent, 'streamId' | 'type'>): boolean =>
  event.type.startsWith('$') || event.streamId.startsWith('$');

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'any') return ANY;
  return BigInt(expected);
}

/** The stream's last revision as the domain counts it: -1 when it does not exist. */
export function actualRevision(current: CurrentRevision): number {
  return current === NO_STREAM ? -1 : Number(current);
}

/**
 * Refuses U+0000 and lone UTF-16 surrogates like every store does (PostgreSQL's jsonb cannot hold them), so events
 * move between stores. It costs one more JSON.stringify per event: the client serialises the data itself and
 * takes no pre-serialised JSON.
 */
export function assertStorable(events: readonly NewEvent[]): void {
  for (const event of events) {
    if (hasUnstorableEscape(JSON.stringify(event.data)) || hasUnstorableEscape(JSON.stringify(event.metadata))) throw unsupportedCharacter();
  }
}

/** What JSON.stringify writes for U+0000 and for a lone surrogate (a pair it writes as itself), after its backslashes. */
const UNSTORABLE_ESCAPE = /(\\+)u(?:0000|d[89a-f][0-9a-f]{2})/g;

/**
 * Whether serialized JSON holds U+0000 or a lone surrogate, which JSON.stringify always writes as escapes
 * (`\u0000`, `\ud800`). The text `\\u0000` (an escaped backslash, then "u0000") is not one: the backslashes
 * before the `u` must be odd.
 */
export function hasUnstorableEscape(json: string | undefined): boolean {
  if (json === undefined) return false;
  for (const [, backslashes] of json.matchAll(UNSTORABLE_ESCAPE)) if (backslashes!.length % 2 === 1) return true;
  return false;
}

function toEventData(event: NewEvent): EventData {
  return jsonEvent({
    id: event.eventId.toLowerCase(),
    type: event.type,
    // The client serialises data with JSON.stringify, which takes any JSON value; JSONType names only the usual ones.
    data: event.data as JSONType,
    metadata: event.metadata,
  });
}

export function toRecordedEvent(event: EsdbEvent): RecordedEvent {
  if (!event.isJson) throw new Error(`Event ${event.id} in ${event.streamId} is not JSON: Chorus did not write it`);
  if (typeof event.metadata !== 'object' || event.metadata === null || event.metadata instanceof Uint8Array) {
    throw new Error(`Event ${event.id} in ${event.streamId} has no JSON metadata: Chorus did not write it`);
  }
  return {
    eventId: event.id,
    type: event.type,
    streamId: event.streamId,
    revision: Number(event.revision),
    position: encodePosition(requirePosition(event)),
    data: event.data,
    metadata: event.metadata as EventMetadata,
  };
}

/** Stream reads carry $all positions from server 22.6 on; older servers send none (or a sentinel). */
function requirePosition(event: EsdbEvent): LogPosition {
  if (event.position === undefined || !isLogPosition(event.position)) {
    throw new Error(`EventStoreDB reported no log position for event ${event.id} in ${event.streamId} (stream reads need server 22.6 or later)`);
  }
  return event.position;
}

/** A read's events, whole; a stream that does not exist reads as empty. */
async function recordedEvents(read: AsyncIterable<EsdbResolvedEvent>): Promise<EsdbEvent[]> {
  const events: EsdbEvent[] = [];
  try {
    for await (const resolved of read) if (resolved.event !== undefined) events.push(resolved.event);
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
  return events;
}
