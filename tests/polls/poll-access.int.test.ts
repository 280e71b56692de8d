// Who may see a poll, read from the event store: readPoll folds the poll's stream, isFollowing the follow's.
import test from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { canSeePoll, isFollowing, readPoll, readVisiblePoll } from '../../application/polls/poll-access.js';
import { pollStreamId } from '../../domain/polls/poll-events.js';
import { followStreamId } from '../../domain/polls/social-events.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { embeddedTestDatabase, type TestDatabase } from '../support/databases.js';
import { metadata } from '../support/events.js';

let testDb: TestDatabase;
let store: PostgresEventStore;
test.before(async () => {
  testDb = await embeddedTestDatabase();
  store = new PostgresEventStore(testDb.database, { pollIntervalMs: 200 });
});
test.after.always(() => testDb?.drop());

const options = [
  { id: 'o-1', text: 'Tea' },
  { id: 'o-2', text: 'Coffee' },
];
const append = (streamId: string, type: string, data: unknown) => store.append(streamId, [{ eventId: uuidv7(), type, data, metadata }], { expectedRevision: 'any' });

async function poll(visibility: 'public' | 'followers', authorId = 'alice'): Promise<string> {
  const pollId = uuidv7();
  await append(pollStreamId(pollId), 'PollCreated', { pollId, authorId, question: 'Tea?', options, closesAt: '2030-01-01T00:00:00.000Z', visibility, createdAt: '2026-11-22T10:00:00.000Z' });
  return pollId;
}

test('readPoll folds the poll stream: its author, question, options, closesAt, visibility and whether it is closed', async (t) => {
  const pollId = await poll('followers');
  t.like(await readPoll({ store }, pollId), { pollId, authorId: 'alice', question: 'Tea?', options, closesAt: '2030-01-01T00:00:00.000Z', visibility: 'followers', closed: false, status: 'open', revision: 0 });
  await append(pollStreamId(pollId), 'PollClosed', { pollId, closedBy: 'alice', reason: 'closed', closedAt: '2026-11-23T10:00:00.000Z' });
  t.like(await readPoll({ store }, pollId), { closed: true, status: 'closed', revision: 1 });
  t.is(await readPoll({ store }, uuidv7()), null);
});

test('isFollowing reads the follow stream: following, after an unfollow not, never followed not', async (t) => {
  const [follower, followee] = [uuidv7(), uuidv7()];
  t.false(await isFollowing({ store }, follower, followee));
  await append(followStreamId(follower, followee), 'UserFollowed', { followerId: follower, followeeId: followee, at: '2026-11-22T10:00:00.000Z' });
  t.true(await isFollowing({ store }, follower, followee));
  t.false(await isFollowing({ store }, followee, follower), 'a follow goes one way');
  await append(followStreamId(follower, followee), 'UserUnfollowed', { followerId: follower, followeeId: followee, at: '2026-11-22T11:00:00.000Z' });
  t.false(await isFollowing({ store }, follower, followee));
});

test('canSeePoll: public polls to anyone signed in; followers-only polls to the author, followers and admins', (t) => {
  const publicPoll = { authorId: 'alice', visibility: 'public' } as const;
  const followersPoll = { authorId: 'alice', visibility: 'followers' } as const;
  t.true(canSeePoll({ sub: 'bob', roles: ['viewer'] }, publicPoll, false));
  t.true(canSeePoll({ sub: 'alice', roles: ['member'] }, followersPoll, false));
  t.true(canSeePoll({ sub: 'bob', roles: ['member'] }, followersPoll, true));
  t.true(canSeePoll({ sub: 'root', roles: ['admin'] }, followersPoll, false));
  t.false(canSeePoll({ sub: 'bob', roles: ['member'] }, followersPoll, false));
  t.false(canSeePoll({ sub: 'bob' }, followersPoll, false));
});

test('readVisiblePoll answers a poll hidden from the caller as one that does not exist', async (t) => {
  const pollId = await poll('followers', 'carol');
  const hidden = await t.throwsAsync(readVisiblePoll({ store }, { sub: 'dave', roles: ['member'] }, pollId));
  t.is((hidden as { code?: string }).code, 'POLL.NOT_FOUND');
  const missing = await t.throwsAsync(readVisiblePoll({ store }, { sub: 'dave', roles: ['member'] }, uuidv7()));
  t.is((missing as { code?: string }).code, 'POLL.NOT_FOUND');
  await append(followStreamId('dave', 'carol'), 'UserFollowed', { followerId: 'dave', followeeId: 'carol', at: '2026-11-22T10:00:00.000Z' });
  t.like(await readVisiblePoll({ store }, { sub: 'dave', roles: ['member'] }, pollId), { pollId, authorId: 'carol' });
});
