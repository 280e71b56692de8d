// The built-in event store on PostgreSQL, one implementation for a server (pg) and for PGlite.
//
// Gap-safe global order without a global lock: an event's position is
//   (id of the appending transaction << 16) + index within the append,
// and readers only take events whose position lies below `pg_snapshot_xmin(pg_current_snapshot()) << 16`.
// Every transaction that has not finished yet has an id >= that xmin, so anything it commits later sorts
// after every event a reader has already been handed: a checkpoint never jumps over a late commit.
import { sql, type Kysely } from 'kysely';
import { WrongExpectedRevision, type ExpectedRevision } from '../../../domain/kernel/errors.js';
import { assertAppendable, isEventId, unsupportedCharacter } from '../../../application/eventstore/append-rules.js';
import {
  categoryOf,
  type AppendResult,
  type EventMetadata,
  type EventSelection,
  type EventStore,
  type NewEvent,
  type Position,
  type ReadAllOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type StoredEventQuery,
  type SubscriptionBatch,
} from '../../../application/ports/event-store.js';
import type { SqlDatabase } from '../../db/database.js';
import { pauseUnlessAborted, yieldToEventLoop } from '../../../application/kernel/retry.js';
import { Wakeup } from '../wakeup.js';
import { commitAnnouncerOf, type CommitAnnouncer } from './commit-announcer.js';
import { GroupedAppends, INDEX_BITS } from './grouped-appends.js';
import type { Schema } from '../../../projections/schema.js';

/** Positions below this are final: no transaction that is still open can commit one of them. */
const readableBelow = sql<string>`(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << ${sql.lit(Number(INDEX_BITS))})`;
const PAGE_SIZE = 500;
/** How soon to look again when committed events wait for an older transaction to finish. */
const PENDING_RETRY_MS = 15;
const MAX_BIGINT = 2n ** 63n - 1n;
/**
 * Append statements in flight at once on a server by default (see GroupedAppends). PGlite writes each append at
 * once: it has no round trips to save, and a group's statement cost it more CPU per command than it saved
 * (1.72-1.88 ms against 1.55-1.59 ms per POST, measured).
 */
const APPEND_LANES = 4;

export type PostgresEventStoreOptions = Readonly<{
  /** Subscriptions look for new events at least this often, even without news of a commit. */
  pollIntervalMs: number;
  /**
   * Woken by news of a commit, a subscription waits this long before it reads, so that a burst of commits is
   * read as one batch instead of one event at a time. 0 reads at once.
   */
  gatherMs?: number;
  /** Append statements written at once; appends made meanwhile wait and go together (GroupedAppends). Infinity: never wait. */
  appendLanes?: number;
}>;

type EventRow = {
  position: string;
  event_id: string;
  stream_id: string;
  revision: string | number;
  type: string;
  data: unknown;
  metadata: unknown;
};

type Page = Readonly<{
  events: RecordedEvent[];
  /** Where a reader of this filter may continue from (see SubscriptionBatch.checkpoint). */
  checkpoint: Position | null;
  /** The page was cut at its limit: more events are already readable. */
  full: boolean;
  /** Committed events exist that are not readable yet because an older transaction is still open. */
  pending: boolean;
}>;

export class PostgresEventStore implements EventStore {
  private readonly db: Kysely<Schema>;
  private readonly commits: CommitAnnouncer;
  private readonly appends: GroupedAppends;

  constructor(
    database: SqlDatabase,
    private readonly options: PostgresEventStoreOptions,
  ) {
    this.db = database.db;
    this.commits = commitAnnouncerOf(database);
    this.appends = new GroupedAppends(this.db, options.appendLanes ?? (database.kind === 'pglite' ? Number.POSITIVE_INFINITY : APPEND_LANES));
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    { expectedRevision }: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    assertAppendable(streamId, events, expectedRevision);
    try {
      const written = await this.appends.append(streamId, events, expectedRevision);
      if (written === undefined) throw new WrongExpectedRevision(streamId, expectedRevision, await streamRevision(this.db, streamId));
      this.commits.announce(categoryOf(streamId));
      return written;
    } catch (error) {
      if (UNSTORABLE_TEXT.has(databaseErrorCode(error) as string)) throw unsupportedCharacter();
      const conflict = error instanceof WrongExpectedRevision;
      if (!conflict && !isUniqueViolation(error, 'events_event_id_unique')) throw error;
      // A retry of an append that already succeeded is a no-op, whatever revision it expected.
      const { unknown, stored } = await this.partitionByStored(events);
      if (unknown.length === 0) return stored!;
      if (conflict) throw error;
      return this.append(streamId, unknown, { expectedRevision });
    }
  }

  /** Splits an append into the events not stored yet and, when every one is, where the last was stored. */
  private async partitionByStored(events: readonly NewEvent[]): Promise<{ unknown: NewEvent[]; stored: AppendResult | undefined }> {
    const ids = events.map((event) => event.eventId.toLowerCase());
    const rows = await this.db
      .selectFrom('events')
      .select(['event_id', 'revision', sql<string>`position::text`.as('position')])
      .where('event_id', 'in', ids)
      .execute();
    const storedIds = new Set(rows.map((row) => row.event_id));
    const unknown = events.filter((event) => !storedIds.has(event.eventId.toLowerCase()));
    const last = rows.find((row) => row.event_id === ids[ids.length - 1]);
    const stored = unknown.length === 0 && last !== undefined ? { nextRevision: Number(last.revision), position: last.position } : undefined;
    return { unknown, stored };
  }

  async storedEventIds(events: readonly StoredEventQuery[]): Promise<ReadonlySet<string>> {
    // What is not a uuid was never stored; an id stored in another stream than the one asked about does not count.
    const streamsOf = new Map<string, Set<string>>();
    for (const { streamId, eventId } of events) {
      if (!isEventId(eventId)) continue;
      const id = eventId.toLowerCase();
      streamsOf.set(id, (streamsOf.get(id) ?? new Set()).add(streamId));
    }
    if (streamsOf.size === 0) return new Set();
    const { rows } = await sql<{ event_id: string; stream_id: string }>`
      select event_id::text, stream_id from events where event_id = any(${[...streamsOf.keys()]}::uuid[])`.execute(this.db);
    return new Set(rows.filter((row) => streamsOf.get(row.event_id)?.has(row.stream_id)).map((row) => row.event_id));
  }

  async *readStream(streamId: string, options: { from?: number } = {}): AsyncIterable<RecordedEvent> {
    let from = options.from ?? 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('events')
        .select(['event_id', 'stream_id', 'revision', 'type', 'data', 'metadata', sql<string>`position::text`.as('position')])
        .where('stream_id', '=', streamId)
        .where('revision', '>=', from)
        .orderBy('revision')
        .limit(PAGE_SIZE)
        .execute();
      for (const row of rows) yield toRecordedEvent(row);
      if (rows.length < PAGE_SIZE) return;
      from = Number(rows[rows.length - 1]!.revision) + 1;
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let from = options.from ?? null;
    let includeFrom = options.includeFrom === true;
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      const page = await this.readPage(from, options, Math.min(PAGE_SIZE, remaining), includeFrom);
      for (const event of page.events) yield event;
      remaining -= page.events.length;
      if (!page.full) return;
      from = page.checkpoint;
      includeFrom = false;
    }
  }

  async countEvents(options: ReadAllOptions = {}): Promise<number> {
    const limit = options.limit === undefined ? sql`` : sql`limit ${options.limit}`;
    const { rows } = await sql<{ count: string | number }>`
      select count(*) as count from (
        select 1 from events e
        where e.position ${options.includeFrom === true ? sql`>=` : sql`>`} ${options.from ?? '-1'}::bigint and e.position < ${readableBelow}
          ${selectionFilter(options)}
        ${limit}
      ) counted`.execute(this.db);
    return Number(rows[0]!.count);
  }

  async *subscribe(options: SubscribeOptions): AsyncIterable<SubscriptionBatch> {
    const { signal, categories } = options;
    const batchSize = options.batchSize ?? PAGE_SIZE;
    const gatherMs = this.options.gatherMs ?? 0;
    const wakeup = new Wakeup(signal);
    const stopListening = await this.commits.listen(categories, wakeup.wake);
    let checkpoint = options.from ?? null;
    let prefetched: Promise<Page> | null = null;
    try {
      while (!signal.aborted) {
        let page: Page;
        if (prefetched === null) {
          wakeup.arm(); // before reading, so a commit during the read still wakes the next wait
          page = await this.readPage(checkpoint, { categories }, batchSize);
        } else {
          page = await prefetched;
          prefetched = null;
        }
        const advanced = page.checkpoint !== null && (checkpoint === null || this.comparePositions(page.checkpoint, checkpoint) > 0);
        if (advanced) checkpoint = page.checkpoint;
        if (page.full) {
          // More is readable already: the next page is read while the subscriber works on this one.
          wakeup.arm();
          prefetched = this.readPage(checkpoint, { categories }, batchSize);
          prefetched.catch(() => undefined); // its failure is thrown when its turn comes
        }
        if (advanced) yield { events: page.events, checkpoint: page.checkpoint! };
        if (page.full) {
          // Catching up on PGlite never waits on I/O: without this, requests would wait for the backlog.
          await yieldToEventLoop();
          continue;
        }
        const woken = await wakeup.wait(page.pending ? PENDING_RETRY_MS : this.options.pollIntervalMs);
        // The commits of a burst are read together; news arriving meanwhile is covered by the read that follows.
        if (woken && gatherMs > 0 && !signal.aborted) await pauseUnlessAborted(gatherMs, signal);
      }
    } finally {
      await prefetched?.catch(() => undefined);
      wakeup.dispose();
      await stopListening();
    }
  }

  /**
   * One page of readable events after `from`, all in one statement so that the bound, the page and the
   * head of the log come from the same snapshot.
   */
  private async readPage(from: Position | null, selection: EventSelection, limit: number, includeFrom = false): Promise<Page> {
    const { rows } = await pageQuery(from, selection, limit, includeFrom).execute(this.db);
    const marks = rows[0]!;
    const events = marks.position === null ? [] : rows.map(toRecordedEvent);
    const full = events.length === limit;
    const last = events.length > 0 ? events[events.length - 1]!.position : from;
    // A page that is not full covers everything readable up to the head, whatever its category.
    const checkpoint = full ? last : (marks.head ?? last);
    const pending = marks.newest !== null && marks.newest !== marks.head;
    return { events, checkpoint, full, pending };
  }

  async headPosition(): Promise<Position | null> {
    const { rows } = await sql<{ head: string | null }>`select max(position)::text as head from events where position < ${readableBelow}`.execute(this.db);
    return rows[0]?.head ?? null;
  }

  async newestPosition(): Promise<Position | null> {
    const { rows } = await sql<{ newest: string | null }>`select max(position)::text as newest from events`.execute(this.db);
    return rows[0]?.newest ?? null;
  }

  comparePositions(a: Position, b: Position): number {
    const difference = BigInt(a) - BigInt(b);
    return difference === 0n ? 0 : difference > 0n ? 1 : -1;
  }

  isPosition(value: string): boolean {
    return /^\d{1,19}$/.test(value) && BigInt(value) <= MAX_BIGINT;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }
}

/**
 * One page of readable events after `from`, with the head of what is readable and the newest event committed.
 * Each max() is a backward scan of the position index that stops at its first row, and the page a range scan of
 * an index: nothing here grows with the log (a join with `bound` would scan every event on every page).
 */
export function pageQuery(from: Position | null, selection: EventSelection, limit: number, includeFrom = false) {
  return sql<EventRow & { head: string | null; newest: string | null }>`
    with bound as (select ${readableBelow} as below),
    marks as (
      select (select max(position) from events where position < (select below from bound))::text as head,
             (select max(position) from events)::text as newest
    )
    select marks.head, marks.newest, page.*
    from marks left join lateral (
      select e.position::text as position, e.event_id, e.stream_id, e.revision, e.type, e.data, e.metadata
      from events e
      where e.position ${includeFrom ? sql`>=` : sql`>`} ${from ?? '-1'}::bigint and e.position < (select below from bound) ${selectionFilter(selection)}
      order by e.position
      limit ${limit}
    ) page on true`;
}

/** The selection's conditions on `events e`, each only when asked for, so a subscription's page query stays as it was. */
function selectionFilter({ categories, streams, types, to, since, until }: EventSelection) {
  const conditions = [
    categories === undefined ? null : sql`and e.category = any(${[...categories]}::text[])`,
    streams === undefined ? null : sql`and e.stream_id = any(${[...streams]}::text[])`,
    types === undefined ? null : sql`and e.type = any(${[...types]}::text[])`,
    to === undefined ? null : sql`and e.position <= ${to}::bigint`,
    since === undefined ? null : sql`and e.recorded_at >= ${since.toISOString()}::timestamptz`,
    until === undefined ? null : sql`and e.recorded_at < ${until.toISOString()}::timestamptz`,
  ].filter((condition) => condition !== null);
  return sql.join(conditions, sql` `);
}

async function streamRevision(db: Kysely<Schema>, streamId: string): Promise<number> {
  const row = await db.selectFrom('streams').select('revision').where('stream_id', '=', streamId).executeTakeFirst();
  return row === undefined ? -1 : Number(row.revision);
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    streamId: row.stream_id,
    revision: Number(row.revision),
    position: row.position,
    data: row.data,
    metadata: row.metadata as EventMetadata,
  };
}

/**
 * jsonb refuses what JSON can spell but Unicode text cannot hold: \u0000 (22P05) and a lone surrogate such as
 * \ud800 (22P02). Nothing else in an append converts text, so these can only come from event data.
 */
const UNSTORABLE_TEXT = new Set(['22P05', '22P02']);

const databaseErrorCode = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

function isUniqueViolation(error: unknown, constraint: string): boolean {
  return databaseErrorCode(error) === '23505' && (error as { constraint?: unknown }).constraint === constraint;
}
