// The feed read model: each reader's feed is their own polls and those of whom they follow, newest first. Written on
// fan-out (a new poll becomes a row in the feed of each of its author's followers; a follow copies the followee's
// newest polls in; an unfollow takes them out), capped per reader at the newest `cap` rows. Authors with more than
// `fanOutLimit` followers are marked fan-in: their polls are not copied to anyone, the feed query merges them in at
// read time from this model's copy of the polls. Rows depend only on this model's own tables, each guarded by its
// stream's revision, so applying an event twice changes nothing.
import { sql, type Selectable, type Transaction } from 'kysely';
import { assertNever } from '../../domain/kernel/decider.js';
import { FOLLOW_EVENT_TYPES, type FollowEvent } from '../../domain/polls/follow-commands.js';
import { POLL_EVENT_TYPES, type PollEvent } from '../../domain/polls/poll-events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import type { PollFeedFollowsTable, PollFeedPollsTable } from './engagement-schema.js';
import { foldRows } from './polls-rows.js';

export type FeedOptions = Readonly<{
  /** Authors with more followers than this are fan-in: merged in at read time instead of copied on write. */
  fanOutLimit: number;
  /** Rows kept per reader, the newest. */
  cap: number;
  /** How many of a followee's newest polls a new follow copies in. */
  backfill: number;
}>;

export const FEED_DEFAULTS: FeedOptions = { fanOutLimit: 10_000, cap: 500, backfill: 50 };

export type FeedPollRow = Omit<Selectable<PollFeedPollsTable>, 'options'> & { options: unknown };
export type FeedFollowRow = Selectable<PollFeedFollowsTable>;

const applied = (row: { revision: number } | null, event: RecordedEvent): boolean => row !== null && event.revision <= row.revision;

export function evolveFeedPoll(row: FeedPollRow | null, event: RecordedEvent): FeedPollRow | null {
  if (applied(row, event)) return row;
  const pollEvent = event as unknown as PollEvent;
  switch (pollEvent.type) {
    case 'PollCreated': {
      const { pollId, authorId, question, options, closesAt, visibility, createdAt } = pollEvent.data;
      return {
        poll_id: pollId,
        author_id: authorId,
        question,
        options: options.map(({ id, text }) => ({ id, text })),
        visibility,
        closes_at: closesAt === null ? null : new Date(closesAt),
        status: 'open',
        closed_at: null,
        created_at: new Date(createdAt),
        revision: event.revision,
      };
    }
    case 'PollClosed':
      if (row === null) return null;
      return { ...row, status: 'closed', closed_at: new Date(pollEvent.data.closedAt), revision: event.revision };
    default:
      return assertNever(pollEvent);
  }
}

export function evolveFeedFollow(row: FeedFollowRow | null, event: RecordedEvent): FeedFollowRow | null {
  if (applied(row, event)) return row;
  const followEvent = event as unknown as FollowEvent;
  const { followerId, followeeId } = followEvent.data;
  switch (followEvent.type) {
    case 'UserFollowed':
      return { follower_id: followerId, followee_id: followeeId, following: true, revision: event.revision };
    case 'UserUnfollowed':
      return { follower_id: followerId, followee_id: followeeId, following: false, revision: event.revision };
    default:
      return assertNever(followEvent);
  }
}

type Data = Record<string, string>;
const data = (event: RecordedEvent): Data => event.data as Data;

/** Keeps each of these readers' newest `cap` rows and deletes the rest: an index walk of at most `cap` rows per reader. */
async function trim(tx: Transaction<Schema>, owners: readonly string[], cap: number): Promise<void> {
  if (owners.length === 0) return;
  await sql`
    delete /* plan per run */ from poll_feed_items i using (
      select o.owner_id, edge.created_at, edge.poll_id
      from unnest(${[...new Set(owners)]}::text[]) as o(owner_id)
      cross join lateral (
        select created_at, poll_id from poll_feed_items where owner_id = o.owner_id order by created_at desc, poll_id desc offset ${cap} limit 1
      ) edge
    ) e
    where i.owner_id = e.owner_id and (i.created_at, i.poll_id) <= (e.created_at, e.poll_id)`.execute(tx);
}

async function applyPolls(tx: Transaction<Schema>, events: readonly RecordedEvent[], options: FeedOptions): Promise<void> {
  if (events.length === 0) return;
  const ids = [...new Set(events.map((event) => data(event).pollId!))];
  const loaded = (await sql<FeedPollRow>`select /* plan per run */ * from poll_feed_polls where poll_id = any(${ids}::uuid[])`.execute(tx)).rows;
  const changed = foldRows(new Map(loaded.map((row) => [row.poll_id, row])), events, (event) => data(event).pollId!, evolveFeedPoll);
  if (changed.length === 0) return;
  const rows = changed.map(([, row]) => row);
  const column = <T>(pick: (row: FeedPollRow) => T): T[] => rows.map(pick);
  await sql`
    insert /* plan per run */ into poll_feed_polls (poll_id, author_id, question, options, visibility, closes_at, status, closed_at, created_at, revision)
    select * from unnest(${column((r) => r.poll_id)}::uuid[], ${column((r) => r.author_id)}::text[], ${column((r) => r.question)}::text[],
      ${column((r) => JSON.stringify(r.options))}::jsonb[], ${column((r) => r.visibility)}::text[], ${column((r) => r.closes_at?.toISOString() ?? null)}::timestamptz[],
      ${column((r) => r.status)}::text[], ${column((r) => r.closed_at?.toISOString() ?? null)}::timestamptz[],
      ${column((r) => r.created_at.toISOString())}::timestamptz[], ${column((r) => r.revision)}::integer[])
    on conflict (poll_id) do update set status = excluded.status, closed_at = excluded.closed_at, revision = excluded.revision`.execute(tx);

  // New polls: into their author's own feed, and fanned out to the author's followers unless the author is fan-in.
  const created = changed.filter(([before]) => before === null).map(([, row]) => row);
  if (created.length === 0) return;
  const pollIds = created.map((r) => r.poll_id);
  const authors = created.map((r) => r.author_id);
  const times = created.map((r) => r.created_at.toISOString());
  const { rows: owners } = await sql<{ owner_id: string }>`
    with /* plan per run */ fresh as (select * from unnest(${pollIds}::uuid[], ${authors}::text[], ${times}::timestamptz[]) as x(poll_id, author_id, created_at))
    insert /* plan per run */ into poll_feed_items (owner_id, poll_id, author_id, created_at)
    select author_id, poll_id, author_id, created_at from fresh
    union all
    select f.follower_id, x.poll_id, x.author_id, x.created_at from fresh x
      join poll_feed_follows f on f.followee_id = x.author_id and f.following
      where not exists (select 1 from poll_feed_authors a where a.author_id = x.author_id and a.fan_in)
    on conflict do nothing
    returning owner_id`.execute(tx);
  await trim(
    tx,
    owners.map((row) => row.owner_id),
    options.cap,
  );
}

async function applyFollows(tx: Transaction<Schema>, events: readonly RecordedEvent[], options: FeedOptions): Promise<void> {
  if (events.length === 0) return;
  const key = (followerId: string, followeeId: string): string => `${followerId}\n${followeeId}`;
  const loaded = (
    await sql<FeedFollowRow>`select /* plan per run */ * from poll_feed_follows where (follower_id, followee_id) in
      (select * from unnest(${events.map((event) => data(event).followerId!)}::text[], ${events.map((event) => data(event).followeeId!)}::text[]))`.execute(tx)
  ).rows;
  const changed = foldRows(
    new Map(loaded.map((row) => [key(row.follower_id, row.followee_id), row])),
    events,
    (event) => key(data(event).followerId!, data(event).followeeId!),
    evolveFeedFollow,
  );
  if (changed.length === 0) return;
  const rows = changed.map(([, row]) => row);
  await sql`
    insert /* plan per run */ into poll_feed_follows (follower_id, followee_id, following, revision)
    select * from unnest(${rows.map((r) => r.follower_id)}::text[], ${rows.map((r) => r.followee_id)}::text[], ${rows.map((r) => r.following)}::boolean[], ${rows.map((r) => r.revision)}::integer[])
    on conflict (follower_id, followee_id) do update set following = excluded.following, revision = excluded.revision`.execute(tx);

  const started = changed.filter(([before, after]) => after.following && before?.following !== true).map(([, row]) => row);
  const stopped = changed.filter(([before, after]) => !after.following && before?.following === true).map(([, row]) => row);

  // Follower counts first, so that a followee who passes the limit in this batch is fan-in for its follows.
  const deltas = new Map<string, number>();
  for (const row of started) deltas.set(row.followee_id, (deltas.get(row.followee_id) ?? 0) + 1);
  for (const row of stopped) deltas.set(row.followee_id, (deltas.get(row.followee_id) ?? 0) - 1);
  const moved = [...deltas].filter(([, by]) => by !== 0);
  if (moved.length > 0) {
    await sql`
      insert /* plan per run */ into poll_feed_authors (author_id, followers, fan_in)
      select author_id, by, by > ${options.fanOutLimit} from unnest(${moved.map(([author]) => author)}::text[], ${moved.map(([, by]) => by)}::integer[]) as x(author_id, by)
      on conflict (author_id) do update set followers = poll_feed_authors.followers + excluded.followers,
        fan_in = poll_feed_authors.fan_in or poll_feed_authors.followers + excluded.followers > ${options.fanOutLimit}`.execute(tx);
  }

  if (stopped.length > 0) {
    await sql`
      delete /* plan per run */ from poll_feed_items where (owner_id, author_id) in
        (select * from unnest(${stopped.map((r) => r.follower_id)}::text[], ${stopped.map((r) => r.followee_id)}::text[]))`.execute(tx);
  }
  if (started.length > 0) {
    // A fan-in followee's polls are merged in at read time: nothing to copy.
    await sql`
      insert /* plan per run */ into poll_feed_items (owner_id, poll_id, author_id, created_at)
      select x.follower_id, p.poll_id, p.author_id, p.created_at
      from unnest(${started.map((r) => r.follower_id)}::text[], ${started.map((r) => r.followee_id)}::text[]) as x(follower_id, followee_id)
      cross join lateral (
        select poll_id, author_id, created_at from poll_feed_polls where author_id = x.followee_id order by created_at desc, poll_id desc limit ${options.backfill}
      ) p
      where not exists (select 1 from poll_feed_authors a where a.author_id = x.followee_id and a.fan_in)
      on conflict do nothing`.execute(tx);
    await trim(
      tx,
      started.map((r) => r.follower_id),
      options.cap,
    );
  }
}

const pollTypes = new Set<string>(POLL_EVENT_TYPES);
const followTypes = new Set<string>(FOLLOW_EVENT_TYPES);

/** The feed projection with these limits (tests use small ones); `pollFeedProjection` has the defaults. */
export function pollFeedProjectionWith(options: FeedOptions): Projection {
  return {
    name: 'poll-feed',
    version: 1,
    categories: ['poll', 'follow'],
    handles: [...POLL_EVENT_TYPES, ...FOLLOW_EVENT_TYPES],
    tables: ['poll_feed_polls', 'poll_feed_follows', 'poll_feed_authors', 'poll_feed_items'],
    // Polls first, then follows: a follow copies the followee's polls in (those of this batch included), an unfollow
    // takes them out (those this batch fanned out included), so the order within the batch does not matter.
    async apply(tx, events) {
      await applyPolls(
        tx,
        events.filter((event) => pollTypes.has(event.type)),
        options,
      );
      await applyFollows(
        tx,
        events.filter((event) => followTypes.has(event.type)),
        options,
      );
    },
  };
}

export const pollFeedProjection: Projection = pollFeedProjectionWith(FEED_DEFAULTS);
