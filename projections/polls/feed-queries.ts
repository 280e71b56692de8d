// A reader's feed, newest first, a keyset page at a time: their feed rows (fan-out on write) merged with the polls
// of the fan-in authors they follow (fan-in on read), each side walked by an index from the cursor down.
import { sql, type Kysely } from 'kysely';
import type { PollOption } from '../../domain/polls/poll-events.js';
import type { Schema } from '../schema.js';
import type { FeedPollRow } from './feed-projection.js';
import { decodeCursor, encodeCursor } from '../keyset-cursor.js';
import type { PollStatus, PollSummaryView } from './polls-queries.js';

export type FeedPage = Readonly<{ items: PollSummaryView[]; nextCursor: string | null }>;

/** Closed once its PollClosed is applied, or once its closesAt has passed, as in every poll view. */
function summaryOf(row: FeedPollRow, now: Date): PollSummaryView {
  const past = row.closes_at !== null && row.closes_at.getTime() <= now.getTime();
  const status: PollStatus = row.status === 'closed' || past ? 'closed' : 'open';
  return {
    id: row.poll_id,
    authorId: row.author_id,
    question: row.question,
    options: row.options as PollOption[],
    visibility: row.visibility,
    status,
    closesAt: row.closes_at?.toISOString() ?? null,
    closedAt: row.closed_at?.toISOString() ?? (past ? row.closes_at!.toISOString() : null),
    createdAt: row.created_at.toISOString(),
    revision: row.revision,
  };
}

export async function readFeed(db: Kysely<Schema>, readerId: string, { limit, cursor }: { limit: number; cursor?: string }, now: Date): Promise<FeedPage> {
  const [at, id] = cursor === undefined ? [null, null] : decodeCursor(cursor);
  const before = (created: string, poll: string) =>
    at === null ? sql`` : sql`and (${sql.ref(created)}, ${sql.ref(poll)}) < (${at.toISOString()}::timestamptz, ${id}::uuid)`;
  const { rows } = await sql<FeedPollRow>`
    select p.* from (
      (select poll_id, created_at from poll_feed_items
        where owner_id = ${readerId} ${before('created_at', 'poll_id')}
        order by created_at desc, poll_id desc limit ${limit + 1})
      union
      (select fanned.poll_id, fanned.created_at from poll_feed_follows f
        join poll_feed_authors a on a.author_id = f.followee_id and a.fan_in
        cross join lateral (
          select poll_id, created_at from poll_feed_polls
          where author_id = f.followee_id ${before('created_at', 'poll_id')}
          order by created_at desc, poll_id desc limit ${limit + 1}
        ) fanned
        where f.follower_id = ${readerId} and f.following)
    ) page
    join poll_feed_polls p on p.poll_id = page.poll_id
    order by page.created_at desc, page.poll_id desc
    limit ${limit + 1}`.execute(db);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last.created_at, last.poll_id) : null;
  return { items: page.map((row) => summaryOf(row, now)), nextCursor };
}
