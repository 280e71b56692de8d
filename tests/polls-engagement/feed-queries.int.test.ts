// The feed query: fan-out rows merged with the polls of fan-in authors, newest first, a keyset page at a time,
// without duplicates (rows a reader got before an author turned fan-in are also among that author's polls).
import test from 'ava';
import { v7 as uuidv7 } from 'uuid';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { pollStreamId, type PollCreated } from '../../domain/polls/poll-events.js';
import { followStreamId, type UserFollowed, type UserUnfollowed } from '../../domain/polls/social-events.js';
import { pollFeedProjectionWith } from '../../projections/polls/feed-projection.js';
import { readFeed } from '../../projections/polls/feed-queries.js';
import { embeddedTestDatabase, type TestDatabase } from '../support/databases.js';
import { recordedEventLog } from '../support/projection-specification.js';

let testDb: TestDatabase | undefined;
test.before(async () => {
  testDb = await embeddedTestDatabase();
});
test.after.always(async () => testDb?.drop());

const projection = pollFeedProjectionWith({ fanOutLimit: 1, cap: 100, backfill: 10 });
const now = new Date('2026-12-01T00:00:00.000Z');
const at = (minute: number): string => new Date(Date.UTC(2026, 10, 20, 9, minute)).toISOString();

async function applied(events: readonly RecordedEvent[]): Promise<void> {
  await testDb!.database.db.transaction().execute((tx) => projection.apply(tx, events));
}

/** Every page of a reader's feed, `limit` at a time. */
async function wholeFeed(reader: string, limit: number): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await readFeed(testDb!.database.db, reader, { limit, cursor }, now);
    if (page.items.length > limit) throw new Error('a page longer than its limit');
    seen.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return seen;
}

test('a fan-in author\'s polls are merged in at read time for their followers only, in order, once each', async (t) => {
  const log = recordedEventLog();
  const created = (authorId: string, minute: number) => {
    const id = uuidv7();
    return log.record(pollStreamId(id), {
      type: 'PollCreated',
      data: { pollId: id, authorId, question: `${authorId} ${minute}?`, options: [{ id: 'o', text: 'o' }, { id: 'p', text: 'p' }], closesAt: null, visibility: 'public', createdAt: at(minute) },
    } satisfies PollCreated);
  };
  const followed = (followerId: string, followeeId: string) =>
    log.record(followStreamId(followerId, followeeId), { type: 'UserFollowed', data: { followerId, followeeId, at: at(0) } } satisfies UserFollowed);
  const unfollowed = (followerId: string, followeeId: string) =>
    log.record(followStreamId(followerId, followeeId), { type: 'UserUnfollowed', data: { followerId, followeeId, at: at(0) } } satisfies UserUnfollowed);

  // a follows star while star is under the limit, so star's first poll is fanned out to a's feed rows.
  await applied([followed('a', 'star'), followed('a', 'plain')]);
  const star1 = created('star', 1);
  await applied([star1]);
  // b's follow takes star past the limit: star is fan-in from here on.
  await applied([followed('b', 'star')]);
  const star2 = created('star', 3);
  const plain1 = created('plain', 2);
  const plain2 = created('plain', 4);
  const own = created('a', 5);
  const star3 = created('star', 6);
  await applied([star2, plain1, plain2, own, star3, created('other', 7)]);

  const expectedForA = [star3, own, plain2, star2, plain1, star1].map((event) => event.data.pollId);
  for (const limit of [1, 2, 4, 100]) t.deepEqual(await wholeFeed('a', limit), expectedForA, `pages of ${limit}`);
  t.deepEqual(await wholeFeed('b', 2), [star3, star2, star1].map((event) => event.data.pollId), 'b gets every star poll merged in');
  t.deepEqual(await wholeFeed('c', 2), [], 'nobody else does');

  await applied([unfollowed('a', 'star')]);
  t.deepEqual(await wholeFeed('a', 2), [own, plain2, plain1].map((event) => event.data.pollId), 'an unfollow takes a fan-in author\'s polls out too');
});
