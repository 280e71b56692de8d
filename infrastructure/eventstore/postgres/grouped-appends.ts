// Group commit for the built-in store: appends that arrive while one is being written wait for it, then go
// together as one statement (one round trip, one transaction, one WAL flush) instead of one each. A lone append
// goes at once, as before; nothing waits for company.
//
// Each append in a group keeps its own outcome. A stream whose expected revision does not hold is left out of the
// group's transaction (its append answers "not claimed", as alone). When the group's statement fails as a whole
// (an event id stored already, text jsonb refuses, a lost connection), every append of it is tried again alone,
// so each gets exactly the answer or error it would have had without the group. The price: an append that waits
// on a lock another transaction holds (its stream's row, its event id) holds up the rest of its group, and with
// them one of the lanes (statements written at once); the other lanes go on.
import { sql, type Kysely } from 'kysely';
import type { ExpectedRevision } from '../../../domain/kernel/errors.js';
import { categoryOf, type AppendResult, type NewEvent } from '../../../application/ports/event-store.js';
import type { Schema } from '../../../projections/schema.js';

// 16 bits of index hold MAX_EVENTS_PER_APPEND (65,536) events per append, and a group's MAX_EVENTS_PER_GROUP.
export const INDEX_BITS = 16n;

/** A group takes at most this many appends, and this many events in all; an append larger than that goes alone. */
const MAX_APPENDS_PER_GROUP = 100;
const MAX_EVENTS_PER_GROUP = 1000;

type Waiting = Readonly<{
  streamId: string;
  events: readonly NewEvent[];
  expected: ExpectedRevision;
  settle: (outcome: Promise<AppendResult | undefined>) => void;
}>;

export class GroupedAppends {
  readonly #waiting: Waiting[] = [];
  /** Streams of the statements being written: an append to one of them waits for its statement to end. */
  readonly #writing = new Set<string>();
  #lanes = 0;

  /** `lanes`: statements written at once; with Infinity an append waits only for another to its own stream. */
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly lanes: number,
  ) {}

  /** The append's result, or undefined when the stream is not at `expected` (as appendAlone). */
  append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult | undefined> {
    return new Promise((resolve) => {
      this.#waiting.push({ streamId, events, expected, settle: resolve });
      if (this.#lanes < this.lanes) void this.#lane();
    });
  }

  /** Writes what waits, one group at a time, until nothing it may take does. */
  async #lane(): Promise<void> {
    this.#lanes++;
    try {
      for (let group = this.#takeGroup(); group.length > 0; group = this.#takeGroup()) {
        for (const member of group) this.#writing.add(member.streamId);
        try {
          await this.#write(group);
        } finally {
          for (const member of group) this.#writing.delete(member.streamId);
        }
      }
    } finally {
      this.#lanes--;
    }
  }

  async #write(group: readonly Waiting[]): Promise<void> {
    if (group.length === 1) {
      const [only] = group;
      const outcome = appendAlone(this.db, only!.streamId, only!.events, only!.expected);
      only!.settle(outcome);
      await outcome.catch(() => undefined);
      return;
    }
    const results = await appendGroup(this.db, group).catch(() => null);
    if (results !== null) {
      group.forEach((member, k) => member.settle(Promise.resolve(results[k])));
      return;
    }
    // Each alone, side by side: the group's error is one of theirs, and each must get its own.
    const outcomes = group.map((member) => appendAlone(this.db, member.streamId, member.events, member.expected));
    group.forEach((member, k) => member.settle(outcomes[k]!));
    await Promise.allSettled(outcomes);
  }

  /**
   * The oldest waiting appends whose streams no statement is writing, each stream at most once (a second append
   * to it waits for the next group).
   */
  #takeGroup(): Waiting[] {
    const group: Waiting[] = [];
    const streams = new Set<string>();
    let events = 0;
    for (let k = 0; k < this.#waiting.length && group.length < MAX_APPENDS_PER_GROUP && events < MAX_EVENTS_PER_GROUP; ) {
      const next = this.#waiting[k]!;
      const fits =
        !this.#writing.has(next.streamId) && !streams.has(next.streamId) && (group.length === 0 || events + next.events.length <= MAX_EVENTS_PER_GROUP);
      if (!fits) {
        k++;
        continue;
      }
      this.#waiting.splice(k, 1);
      group.push(next);
      streams.add(next.streamId);
      events += next.events.length;
    }
    return group;
  }
}

/**
 * One append as one statement, so one round trip and its own transaction: claim `count` revisions on the
 * stream's row if it is where the caller expects (the row lock, held until commit, queues concurrent appends
 * to one stream, and the losers see the new revision), then insert the events at positions made of the
 * transaction's id. Undefined on a conflict: nothing was claimed, so nothing was inserted.
 */
export async function appendAlone(
  db: Kysely<Schema>,
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
): Promise<AppendResult | undefined> {
  const count = events.length;
  const claim =
    expected === 'no_stream'
      ? sql`insert into streams (stream_id, revision) values (${streamId}, ${count - 1})
            on conflict (stream_id) do nothing returning revision`
      : expected === 'any'
        ? sql`insert into streams (stream_id, revision) values (${streamId}, ${count - 1})
              on conflict (stream_id) do update set revision = streams.revision + ${count} returning revision`
        : sql`update streams set revision = revision + ${count}
              where stream_id = ${streamId} and revision = ${expected} returning revision`;
  const { rows } = await sql<{ revision: string; position: string }>`
    with claimed as (${claim}),
    base as (select revision, pg_current_xact_id()::text::bigint << ${sql.lit(Number(INDEX_BITS))} as first from claimed),
    written as (
      insert into events (position, event_id, stream_id, category, revision, type, data, metadata)
      select base.first + e.n - 1, e.event_id, ${streamId}, ${categoryOf(streamId)}, base.revision - ${count} + e.n, e.type, e.data::jsonb, e.metadata::jsonb
      from base, unnest(${events.map((event) => event.eventId.toLowerCase())}::uuid[], ${events.map((event) => event.type)}::text[],
                        ${events.map((event) => JSON.stringify(event.data))}::text[], ${events.map((event) => JSON.stringify(event.metadata))}::text[])
                 with ordinality as e(event_id, type, data, metadata, n)
      returning 1
    )
    select base.revision::text as revision, (base.first + ${count - 1})::text as position from base`.execute(db);
  const row = rows[0];
  return row === undefined ? undefined : { nextRevision: Number(row.revision), position: row.position };
}

const NO_STREAM = -1;
const ANY = -2;

/**
 * Appends to several distinct streams in one statement and one transaction. The result of each, in order:
 * where it was stored, or undefined when its stream was not at its expected revision (nothing of it is stored).
 * Positions follow the appends' order; an append left out leaves its place in the transaction's positions unused.
 */
async function appendGroup(db: Kysely<Schema>, group: readonly Waiting[]): Promise<(AppendResult | undefined)[]> {
  const offsets: number[] = [];
  let offset = 0;
  for (const member of group) {
    offsets.push(offset);
    offset += member.events.length;
  }
  const events = group.flatMap((member, k) => member.events.map((event, n) => ({ k: k + 1, n: n + 1, event })));
  const { rows } = await sql<{ k: string; revision: string; position: string }>`
    with input as (
      select * from unnest(${group.map((m) => m.streamId)}::text[], ${group.map((m) => categoryOf(m.streamId))}::text[],
                           ${group.map((m) => (m.expected === 'no_stream' ? NO_STREAM : m.expected === 'any' ? ANY : m.expected))}::bigint[],
                           ${group.map((m) => m.events.length)}::bigint[], ${offsets}::bigint[])
        with ordinality as s(stream_id, category, expected, count, "offset", k)
    ),
    created as (
      insert into streams (stream_id, revision) select stream_id, count - 1 from input where expected = ${NO_STREAM}
      on conflict (stream_id) do nothing returning stream_id, revision
    ),
    appended as (
      insert into streams (stream_id, revision) select stream_id, count - 1 from input where expected = ${ANY}
      on conflict (stream_id) do update set revision = streams.revision + excluded.revision + 1 returning stream_id, revision
    ),
    advanced as (
      update streams set revision = streams.revision + input.count from input
      where input.expected >= 0 and streams.stream_id = input.stream_id and streams.revision = input.expected
      returning streams.stream_id, streams.revision
    ),
    claimed as (
      select input.k, input.stream_id, input.category, input.count, input."offset", c.revision,
             pg_current_xact_id()::text::bigint << ${sql.lit(Number(INDEX_BITS))} as first
      from input join (select * from created union all select * from appended union all select * from advanced) c using (stream_id)
    ),
    written as (
      insert into events (position, event_id, stream_id, category, revision, type, data, metadata)
      select claimed.first + claimed."offset" + e.n - 1, e.event_id, claimed.stream_id, claimed.category,
             claimed.revision - claimed.count + e.n, e.type, e.data::jsonb, e.metadata::jsonb
      from claimed join unnest(${events.map((e) => e.k)}::bigint[], ${events.map((e) => e.n)}::bigint[],
                               ${events.map((e) => e.event.eventId.toLowerCase())}::uuid[], ${events.map((e) => e.event.type)}::text[],
                               ${events.map((e) => JSON.stringify(e.event.data))}::text[], ${events.map((e) => JSON.stringify(e.event.metadata))}::text[])
                   as e(k, n, event_id, type, data, metadata) on e.k = claimed.k
      returning 1
    )
    select k::text, revision::text, (first + "offset" + count - 1)::text as position from claimed`.execute(db);
  const results: (AppendResult | undefined)[] = group.map(() => undefined);
  for (const row of rows) results[Number(row.k) - 1] = { nextRevision: Number(row.revision), position: row.position };
  return results;
}
