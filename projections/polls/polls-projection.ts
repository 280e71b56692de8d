// The polls read model. Each row stands for one stream (a poll, a vote, a reaction, a comment, a follow) and keeps
// that stream's revision, so applying an event twice changes nothing; running tallies (votes per option, reactions
// per kind) move by each row's before and after, never by the event alone. Rows only depend on their own stream:
// a vote applied before its poll (Kafka orders streams, not the log) counts all the same.
import { sql, type Transaction } from 'kysely';
import { COMMENT_EVENT_TYPES } from '../../domain/polls/comment-events.js';
import { FOLLOW_EVENT_TYPES } from '../../domain/polls/follow-commands.js';
import { POLL_EVENT_TYPES } from '../../domain/polls/poll-events.js';
import { REACTION_EVENT_TYPES } from '../../domain/polls/reaction-events.js';
import { VOTE_EVENT_TYPES } from '../../domain/polls/vote-events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import { evolveComment, evolveFollow, evolvePoll, evolveReaction, evolveVote, foldRows, type CommentRow, type FollowRow, type PollRow, type ReactionRow, type VoteRow } from './polls-rows.js';

export type { PollRow } from './polls-rows.js';

/**
 * The rows of one stream kind a batch touches: read once, evolved in log order, the changed ones handed back with
 * their before. The reads are planned at each run (`plan per run`, see infrastructure/db): a plan made while a
 * table was nearly empty would go on reading it whole.
 */
async function fold<Row>(
  events: readonly RecordedEvent[],
  keyOfEvent: (event: RecordedEvent) => string,
  keyOfRow: (row: Row) => string,
  load: (events: readonly RecordedEvent[]) => Promise<readonly Row[]>,
  evolve: (row: Row | null, event: RecordedEvent) => Row | null,
): Promise<[before: Row | null, after: Row][]> {
  if (events.length === 0) return [];
  return foldRows(new Map((await load(events)).map((row) => [keyOfRow(row), row])), events, keyOfEvent, evolve);
}

type Data = Record<string, string>;
const data = (event: RecordedEvent): Data => event.data as Data;

async function applyPolls(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  const changed = await fold<PollRow>(
    events,
    (event) => data(event).pollId!,
    (row) => row.id,
    async (batch) =>
      (await sql<PollRow>`select /* plan per run */ * from polls where id = any(${[...new Set(batch.map((event) => data(event).pollId!))]}::uuid[])`.execute(tx)).rows,
    evolvePoll,
  );
  if (changed.length === 0) return;
  const rows = changed.map(([, row]) => row);
  const column = <T>(pick: (row: PollRow) => T): T[] => rows.map(pick);
  await sql`
    insert into polls (id, author_id, question, options, closes_at, visibility, status, closed_at, revision, created_at)
    select * from unnest(${column((r) => r.id)}::uuid[], ${column((r) => r.author_id)}::text[], ${column((r) => r.question)}::text[],
      ${column((r) => JSON.stringify(r.options))}::jsonb[], ${column((r) => r.closes_at?.toISOString() ?? null)}::timestamptz[],
      ${column((r) => r.visibility)}::text[], ${column((r) => r.status)}::text[], ${column((r) => r.closed_at?.toISOString() ?? null)}::timestamptz[],
      ${column((r) => r.revision)}::integer[], ${column((r) => r.created_at.toISOString())}::timestamptz[])
    on conflict (id) do update set status = excluded.status, closed_at = excluded.closed_at, revision = excluded.revision`.execute(tx);
}

async function applyVotes(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  const key = (pollId: string, voterId: string): string => `${pollId}\n${voterId}`;
  const changed = await fold<VoteRow>(
    events,
    (event) => key(data(event).pollId!, data(event).voterId!),
    (row) => key(row.poll_id, row.voter_id),
    async (batch) =>
      (
        await sql<VoteRow>`select /* plan per run */ * from poll_votes where (poll_id, voter_id) in
          (select * from unnest(${batch.map((event) => data(event).pollId!)}::uuid[], ${batch.map((event) => data(event).voterId!)}::text[]))`.execute(tx)
      ).rows,
    evolveVote,
  );
  if (changed.length === 0) return;
  const rows = changed.map(([, row]) => row);
  await sql`
    insert into poll_votes (poll_id, voter_id, option_id, revision)
    select * from unnest(${rows.map((r) => r.poll_id)}::uuid[], ${rows.map((r) => r.voter_id)}::text[], ${rows.map((r) => r.option_id)}::text[], ${rows.map((r) => r.revision)}::integer[])
    on conflict (poll_id, voter_id) do update set option_id = excluded.option_id, revision = excluded.revision`.execute(tx);
  await moveCounts(tx, 'poll_tallies', 'option_id', 'votes', deltas(changed, (row) => row.poll_id, (row) => row.option_id));
}

async function applyReactions(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  const key = (pollId: string, userId: string): string => `${pollId}\n${userId}`;
  const changed = await fold<ReactionRow>(
    events,
    (event) => key(data(event).pollId!, data(event).userId!),
    (row) => key(row.poll_id, row.user_id),
    async (batch) =>
      (
        await sql<ReactionRow>`select /* plan per run */ * from poll_reactions where (poll_id, user_id) in
          (select * from unnest(${batch.map((event) => data(event).pollId!)}::uuid[], ${batch.map((event) => data(event).userId!)}::text[]))`.execute(tx)
      ).rows,
    evolveReaction,
  );
  if (changed.length === 0) return;
  const rows = changed.map(([, row]) => row);
  await sql`
    insert into poll_reactions (poll_id, user_id, kind, revision)
    select * from unnest(${rows.map((r) => r.poll_id)}::uuid[], ${rows.map((r) => r.user_id)}::text[], ${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.revision)}::integer[])
    on conflict (poll_id, user_id) do update set kind = excluded.kind, revision = excluded.revision`.execute(tx);
  await moveCounts(tx, 'poll_reaction_counts', 'kind', 'count', deltas(changed, (row) => row.poll_id, (row) => row.kind));
}

async function applyComments(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  const changed = await fold<CommentRow>(
    events,
    (event) => data(event).commentId!,
    (row) => row.comment_id,
    async (batch) =>
      (await sql<CommentRow>`select /* plan per run */ * from poll_comments where comment_id = any(${[...new Set(batch.map((event) => data(event).commentId!))]}::text[])`.execute(tx)).rows,
    evolveComment,
  );
  if (changed.length === 0) return;
  const rows = changed.map(([, row]) => row);
  await sql`
    insert into poll_comments (comment_id, poll_id, deleted, revision)
    select * from unnest(${rows.map((r) => r.comment_id)}::text[], ${rows.map((r) => r.poll_id)}::uuid[], ${rows.map((r) => r.deleted)}::boolean[], ${rows.map((r) => r.revision)}::integer[])
    on conflict (comment_id) do update set deleted = excluded.deleted, revision = excluded.revision`.execute(tx);
}

async function applyFollows(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  const key = (followerId: string, followeeId: string): string => `${followerId}\n${followeeId}`;
  const changed = await fold<FollowRow>(
    events,
    (event) => key(data(event).followerId!, data(event).followeeId!),
    (row) => key(row.follower_id, row.followee_id),
    async (batch) =>
      (
        await sql<FollowRow>`select /* plan per run */ * from poll_follows where (follower_id, followee_id) in
          (select * from unnest(${batch.map((event) => data(event).followerId!)}::text[], ${batch.map((event) => data(event).followeeId!)}::text[]))`.execute(tx)
      ).rows,
    evolveFollow,
  );
  if (changed.length === 0) return;
  const rows = changed.map(([, row]) => row);
  await sql`
    insert into poll_follows (follower_id, followee_id, following, since, revision)
    select * from unnest(${rows.map((r) => r.follower_id)}::text[], ${rows.map((r) => r.followee_id)}::text[], ${rows.map((r) => r.following)}::boolean[],
      ${rows.map((r) => r.since.toISOString())}::timestamptz[], ${rows.map((r) => r.revision)}::integer[])
    on conflict (follower_id, followee_id) do update set following = excluded.following, since = excluded.since, revision = excluded.revision`.execute(tx);
}

/** Moves each poll's live position to the latest of its poll and vote events in the batch (never back). */
async function markLive(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const latest = new Map<string, string>();
  for (const event of events) {
    const pollId = data(event).pollId!;
    const held = latest.get(pollId);
    if (held === undefined || isLater(event.position, held)) latest.set(pollId, event.position);
  }
  await sql`
    insert into poll_live (poll_id, position, position_order)
    select p.poll_id, p.position, string_to_array(p.position, ':')::numeric[]
    from unnest(${[...latest.keys()]}::uuid[], ${[...latest.values()]}::text[]) as p(poll_id, position)
    on conflict (poll_id) do update set position = excluded.position, position_order = excluded.position_order
      where poll_live.position_order < excluded.position_order`.execute(tx);
}

/** Positions compared as poll_live.position_order does: their decimal parts as numbers, in order. */
function isLater(a: string, b: string): boolean {
  const [left, right] = [a.split(':').map(BigInt), b.split(':').map(BigInt)];
  for (let i = 0; i < Math.min(left.length, right.length); i++) if (left[i] !== right[i]) return left[i]! > right[i]!;
  return left.length > right.length;
}

type Delta = { pollId: string; key: string; by: number };

/** How a set of rows' changes move the counts under (poll, key): minus the before's key, plus the after's. */
function deltas<Row>(changed: readonly [Row | null, Row][], pollOf: (row: Row) => string, keyOf: (row: Row) => string | null): Delta[] {
  const moved = new Map<string, Delta>();
  const add = (row: Row, by: number): void => {
    const key = keyOf(row);
    if (key === null) return;
    const id = `${pollOf(row)}\n${key}`;
    const entry = moved.get(id) ?? { pollId: pollOf(row), key, by: 0 };
    entry.by += by;
    moved.set(id, entry);
  };
  for (const [before, after] of changed) {
    if (before !== null) add(before, -1);
    add(after, +1);
  }
  return [...moved.values()].filter((delta) => delta.by !== 0);
}

/**
 * Adds the deltas to a counts table, then removes counts that fell to zero, so that the rows never depend on how
 * the log was cut into batches. The table and column names are this module's constants, never input.
 */
async function moveCounts(
  tx: Transaction<Schema>,
  table: 'poll_tallies' | 'poll_reaction_counts',
  keyColumn: 'option_id' | 'kind',
  countColumn: 'votes' | 'count',
  moved: readonly Delta[],
): Promise<void> {
  if (moved.length === 0) return;
  const [t, k, c] = [sql.table(table), sql.ref(keyColumn), sql.ref(countColumn)];
  await sql`
    insert into ${t} (poll_id, ${k}, ${c})
    select * from unnest(${moved.map((d) => d.pollId)}::uuid[], ${moved.map((d) => d.key)}::text[], ${moved.map((d) => d.by)}::integer[])
    on conflict (poll_id, ${k}) do update set ${c} = ${sql.ref(`${table}.${countColumn}`)} + excluded.${c}`.execute(tx);
  const falling = moved.filter((d) => d.by < 0);
  if (falling.length === 0) return;
  await sql`
    delete /* plan per run */ from ${t} where ${c} = 0 and (poll_id, ${k}) in
      (select * from unnest(${falling.map((d) => d.pollId)}::uuid[], ${falling.map((d) => d.key)}::text[]))`.execute(tx);
}

const pollTypes = new Set<string>(POLL_EVENT_TYPES);
const voteTypes = new Set<string>(VOTE_EVENT_TYPES);
const reactionTypes = new Set<string>(REACTION_EVENT_TYPES);
const commentTypes = new Set<string>(COMMENT_EVENT_TYPES);
const followTypes = new Set<string>(FOLLOW_EVENT_TYPES);

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  // Each table depends only on its own streams' events, so each kind is applied on its own, in log order.
  const of = (types: ReadonlySet<string>): RecordedEvent[] => events.filter((event) => types.has(event.type));
  await applyPolls(tx, of(pollTypes));
  await applyVotes(tx, of(voteTypes));
  await markLive(tx, events.filter((event) => pollTypes.has(event.type) || voteTypes.has(event.type)));
  await applyReactions(tx, of(reactionTypes));
  await applyComments(tx, of(commentTypes));
  await applyFollows(tx, of(followTypes));
}

export const pollsProjection: Projection = {
  name: 'polls',
  version: 1,
  categories: ['poll', 'vote', 'reaction', 'comment', 'follow'],
  handles: [...POLL_EVENT_TYPES, ...VOTE_EVENT_TYPES, ...REACTION_EVENT_TYPES, ...COMMENT_EVENT_TYPES, ...FOLLOW_EVENT_TYPES],
  tables: ['polls', 'poll_votes', 'poll_tallies', 'poll_live', 'poll_reactions', 'poll_reaction_counts', 'poll_comments', 'poll_follows'],
  apply,
};
