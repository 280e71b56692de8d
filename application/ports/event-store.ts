// The event store port: every adapter (PostgreSQL on pg or PGlite, EventStoreDB) passes one contract suite.
import type { ExpectedRevision } from '../../domain/kernel/errors.js';

export type { ExpectedRevision };

/** Opaque, totally ordered position in the global log. Compare it only through the store. */
export type Position = string;

/** Who caused an event: a user or machine (`sub`) with the roles it acted with, and the API key it used, if any. */
export type Actor = Readonly<{ sub: string; roles?: readonly string[]; apiKeyId?: string }>;

/** The actor of requests that present no credentials. */
export const ANONYMOUS: Actor = Object.freeze({ sub: 'anonymous' });

export type EventMetadata = Readonly<{
  correlationId: string;
  causationId: string | null;
  actor: Actor;
  occurredAt: string;
  schema: number;
}>;

/** The envelope, the same in every adapter and on the wire. */
export type RecordedEvent<Data = unknown> = Readonly<{
  eventId: string;
  type: string;
  streamId: string;
  revision: number;
  position: Position;
  data: Data;
  metadata: EventMetadata;
}>;

export type NewEvent = Readonly<{ eventId: string; type: string; data: unknown; metadata: EventMetadata }>;

export type AppendResult = Readonly<{
  /** Revision of the last event of this append (what the next append expects). */
  nextRevision: number;
  /** Position of the last event of this append. */
  position: Position;
}>;

/** What a subscription hands out: events, and the checkpoint to store once they are applied. */
export type SubscriptionBatch = Readonly<{
  events: readonly RecordedEvent[];
  /**
   * Everything at or before this position that the subscription's filter selects has been handed out.
   * It can be ahead of the last event when the log moved on in other categories.
   */
  checkpoint: Position;
}>;

/** Which events of the log a reader wants; every field narrows the selection, omitted ones select everything. */
export type EventSelection = Readonly<{
  /** Stream categories (`feedback` for `feedback-<id>`). */
  categories?: readonly string[];
  /** Whole stream ids. */
  streams?: readonly string[];
  /** Event types. */
  types?: readonly string[];
  /** Inclusive upper bound: events at or before this position. */
  to?: Position;
  /** Events the store recorded at or after this time. */
  since?: Date;
  /** Events the store recorded before this time (exclusive, so that `until` of one range is `since` of the next). */
  until?: Date;
}>;

export type ReadAllOptions = EventSelection &
  Readonly<{
    /** Exclusive: events after this position (inclusive with `includeFrom`). Omitted: from the start of the log. */
    from?: Position | null;
    includeFrom?: boolean;
    /** Stop after this many events. Omitted: read to the current end of the log (or `to`). */
    limit?: number;
  }>;

export type SubscribeOptions = Readonly<{
  from?: Position | null;
  categories?: readonly string[];
  batchSize?: number;
  signal: AbortSignal;
}>;

/** An event id, and the stream it would be stored in. */
export type StoredEventQuery = Readonly<{ streamId: string; eventId: string }>;

export interface EventStore {
  /**
   * Appends atomically. Events whose eventId is already stored are skipped (store-wide idempotency);
   * when all are, the call is a no-op returning where they were stored.
   * @throws WrongExpectedRevision when the stream is not at `expectedRevision`.
   */
  append(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;
  /**
   * Which of these events the store holds: the ids (lower case) of those stored in their streams. One round trip
   * on the built-in store whatever their number, for consumers that ask about a whole batch at once.
   */
  storedEventIds(events: readonly StoredEventQuery[]): Promise<ReadonlySet<string>>;
  /** The stream's events in revision order, from `from` (inclusive, default 0), read in pages. */
  readStream(streamId: string, options?: { from?: number }): AsyncIterable<RecordedEvent>;
  /** The global log in position order up to its current end, read in pages. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** How many events `readAll` with these options would yield now (capped by `limit`), without reading them. */
  countEvents(options?: ReadAllOptions): Promise<number>;
  /** Catch-up, then live; ends when the signal aborts. Never skips an event that commits late. */
  subscribe(options: SubscribeOptions): AsyncIterable<SubscriptionBatch>;
  /** The position of the newest event every reader can see, or null for an empty log. */
  headPosition(): Promise<Position | null>;
  /**
   * The position of the newest event committed, readable or not yet (behind an older transaction still open), or
   * null for an empty log: every position this store has handed to a caller is at or below it.
   */
  newestPosition(): Promise<Position | null>;
  comparePositions(a: Position, b: Position): number;
  /** Whether a string is a position this store could have issued (for validating client input). */
  isPosition(value: string): boolean;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
}

export const categoryOf = (streamId: string): string => {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
};
