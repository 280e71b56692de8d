// Reads of the polls read model: one poll with its counts and the caller's vote, a page of polls (keyset, newest
// first, only those the caller may see), a poll's results, and pages of followers and followees.
import { sql, type Kysely } from 'kysely';
import type { PollOption, PollVisibility } from '../../domain/polls/poll-events.js';
import { REACTION_KINDS, type ReactionKind } from '../../domain/polls/reaction-events.js';
import { decodeCursor, encodeCursor } from '../keyset-cursor.js';
import type { Schema } from '../schema.js';
import type { PollRow } from './polls-projection.js';

export type PollStatus = 'open' | 'closed';

/** Who reads: their polls and those of whom they follow are theirs to see, an admin sees all. */
export type PollReader = Readonly<{ sub: string; admin: boolean }>;

export type PollSummaryView = Readonly<{
  id: string;
  authorId: string;
  question: string;
  options: readonly PollOption[];
  visibility: PollVisibility;
  status: PollStatus;
  closesAt: string | null;
  closedAt: string | null;
  createdAt: string;
  revision: number;
}>;

export type PollView = Omit<PollSummaryView, 'options'> &
  Readonly<{
    options: readonly (PollOption & { votes: number })[];
    totalVotes: number;
    reactions: Readonly<Record<ReactionKind, number>>;
    commentCount: number;
    myVote: string | null;
  }>;

export type PollResults = Readonly<{ pollId: string; totalVotes: number; options: readonly (PollOption & { votes: number; percent: number })[] }>;

/** Closed once its PollClosed is applied, or once its closesAt has passed, whichever comes first. */
const statusAt = (row: PollRow, now: Date): PollStatus => (row.status === 'closed' || (row.closes_at !== null && row.closes_at.getTime() <= now.getTime()) ? 'closed' : 'open');

const summaryOf = (row: PollRow, now: Date): PollSummaryView => ({
  id: row.id,
  authorId: row.author_id,
  question: row.question,
  options: row.options as PollOption[],
  visibility: row.visibility,
  status: statusAt(row, now),
  closesAt: row.closes_at?.toISOString() ?? null,
  closedAt: row.closed_at?.toISOString() ?? (row.closes_at !== null && row.closes_at.getTime() <= now.getTime() ? row.closes_at.toISOString() : null),
  createdAt: row.created_at.toISOString(),
  revision: row.revision,
});

/** The poll's row as the projection has it (for visibility checks), or undefined. */
export async function findPoll(db: Kysely<Schema>, id: string): Promise<PollRow | undefined> {
  return (await db.selectFrom('polls').selectAll().where('id', '=', id).executeTakeFirst()) as PollRow | undefined;
}

async function tallies(db: Kysely<Schema>, id: string): Promise<Map<string, number>> {
  const rows = await db.selectFrom('poll_tallies').select(['option_id', 'votes']).where('poll_id', '=', id).execute();
  return new Map(rows.map((row) => [row.option_id, Number(row.votes)]));
}

export async function getPoll(db: Kysely<Schema>, id: string, reader: PollReader, now: Date): Promise<PollView | undefined> {
  const row = await findPoll(db, id);
  if (row === undefined) return undefined;
  const [votes, reactionRows, comments, mine] = await Promise.all([
    tallies(db, id),
    db.selectFrom('poll_reaction_counts').select(['kind', 'count']).where('poll_id', '=', id).execute(),
    db.selectFrom('poll_comments').select((eb) => eb.fn.countAll<string | number>().as('count')).where('poll_id', '=', id).where('deleted', '=', false).executeTakeFirstOrThrow(),
    db.selectFrom('poll_votes').select('option_id').where('poll_id', '=', id).where('voter_id', '=', reader.sub).executeTakeFirst(),
  ]);
  const summary = summaryOf(row, now);
  const options = summary.options.map((option) => ({ id: option.id, text: option.text, votes: votes.get(option.id) ?? 0 }));
  const reactions = Object.fromEntries(REACTION_KINDS.map((kind) => [kind, 0])) as Record<ReactionKind, number>;
  for (const reaction of reactionRows) reactions[reaction.kind] = Number(reaction.count);
  return {
    ...summary,
    options,
    totalVotes: options.reduce((sum, option) => sum + option.votes, 0),
    reactions,
    commentCount: Number(comments.count),
    myVote: mine?.option_id ?? null,
  };
}

export async function pollResults(db: Kysely<Schema>, row: PollRow): Promise<PollResults> {
  return resultsOf(row, await tallies(db, row.id));
}

function resultsOf(row: PollRow, votes: ReadonlyMap<string, number>): PollResults {
  const options = (row.options as PollOption[]).map((option) => ({ id: option.id, text: option.text, votes: votes.get(option.id) ?? 0 }));
  const totalVotes = options.reduce((sum, option) => sum + option.votes, 0);
  // Rounded to one decimal; they need not add up to exactly 100.
  const percent = (count: number): number => (totalVotes === 0 ? 0 : Math.round((count / totalVotes) * 1000) / 10);
  return { pollId: row.id, totalVotes, options: options.map((option) => ({ ...option, percent: percent(option.votes) })) };
}

/** A poll's results as its live stream sends them, with its status. */
export type LiveResults = PollResults & Readonly<{ status: PollStatus }>;

/**
 * The results of many polls in two queries, each with the log position where they last moved (the live frame's
 * id); polls the projection has not applied yet are left out.
 */
export async function liveResults(db: Kysely<Schema>, ids: readonly string[], now: Date): Promise<Map<string, { position: string; data: LiveResults }>> {
  const [rows, counts] = await Promise.all([
    db.selectFrom('polls').innerJoin('poll_live', 'poll_live.poll_id', 'polls.id').selectAll('polls').select('poll_live.position').where('polls.id', 'in', ids).execute(),
    db.selectFrom('poll_tallies').select(['poll_id', 'option_id', 'votes']).where('poll_id', 'in', ids).execute(),
  ]);
  const votes = new Map<string, Map<string, number>>();
  for (const count of counts) {
    const ofPoll = votes.get(count.poll_id) ?? new Map<string, number>();
    ofPoll.set(count.option_id, Number(count.votes));
    votes.set(count.poll_id, ofPoll);
  }
  return new Map(
    rows.map(({ position, ...row }) => [row.id, { position, data: { ...resultsOf(row as PollRow, votes.get(row.id) ?? new Map()), status: statusAt(row as PollRow, now) } }]),
  );
}

export type PollFilter = Readonly<{ author?: string; status?: PollStatus; limit: number; cursor?: string }>;

export async function listPolls(
  db: Kysely<Schema>,
  { author, status, limit, cursor }: PollFilter,
  reader: PollReader,
  now: Date,
): Promise<{ items: PollSummaryView[]; nextCursor: string | null }> {
  let query = db.selectFrom('polls').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
  if (author !== undefined) query = query.where('author_id', '=', author);
  if (status === 'open') query = query.where('status', '=', 'open').where((eb) => eb.or([eb('closes_at', 'is', null), eb('closes_at', '>', now)]));
  if (status === 'closed') query = query.where((eb) => eb.or([eb('status', '=', 'closed'), eb('closes_at', '<=', now)]));
  if (!reader.admin) {
    query = query.where((eb) =>
      eb.or([
        eb('visibility', '=', 'public'),
        eb('author_id', '=', reader.sub),
        eb.exists(
          eb
            .selectFrom('poll_follows')
            .select(sql`1`.as('one'))
            .where('poll_follows.follower_id', '=', reader.sub)
            .whereRef('poll_follows.followee_id', '=', 'polls.author_id')
            .where('poll_follows.following', '=', true),
        ),
      ]),
    );
  }
  if (cursor !== undefined) {
    const [at, id] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(at, id)));
  }
  const rows = (await query.execute()) as PollRow[];
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last.created_at, last.id) : null;
  return { items: page.map((row) => summaryOf(row, now)), nextCursor };
}

export type FollowView = Readonly<{ userId: string; since: string }>;

/** A page of a user's followers (`direction` followers) or of whom they follow (following), newest follow first. */
export async function listFollows(
  db: Kysely<Schema>,
  userId: string,
  direction: 'followers' | 'following',
  { limit, cursor }: { limit: number; cursor?: string },
): Promise<{ items: FollowView[]; nextCursor: string | null }> {
  const [mine, theirs] = direction === 'followers' ? (['followee_id', 'follower_id'] as const) : (['follower_id', 'followee_id'] as const);
  let query = db
    .selectFrom('poll_follows')
    .select([theirs, 'since'])
    .where(mine, '=', userId)
    .where('following', '=', true)
    .orderBy('since', 'desc')
    .orderBy(theirs, 'desc')
    .limit(limit + 1);
  if (cursor !== undefined) {
    const [at, other] = decodeCursor(cursor, isUserId);
    query = query.where((eb) => eb(eb.refTuple('since', theirs), '<', eb.tuple(at, other)));
  }
  const rows = (await query.execute()) as ({ since: Date } & Record<typeof theirs, string>)[];
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last.since, last[theirs]) : null;
  return { items: page.map((row) => ({ userId: row[theirs], since: row.since.toISOString() })), nextCursor };
}

/** User ids are a token's subject: any text a cursor of ours could hold. */
const isUserId = (id: string): boolean => id.length >= 1 && id.length <= 200 && !id.includes('\u0000') && !/\p{Surrogate}/u.test(id);
