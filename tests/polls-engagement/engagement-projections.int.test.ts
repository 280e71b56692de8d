// The comment-thread and feed read models: given recorded events, their rows, and the same rows when the events are
// applied again.
import test from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { commentStreamId, type CommentDeleted, type CommentPosted } from '../../domain/polls/comment-events.js';
import { pollStreamId, type PollClosed, type PollCreated, type PollVisibility } from '../../domain/polls/poll-events.js';
import { reactionStreamId, type ReactionKind, type ReactionRemoved, type ReactionSet } from '../../domain/polls/reaction-events.js';
import { followStreamId, type UserFollowed, type UserUnfollowed } from '../../domain/polls/social-events.js';
import { pollCommentsProjection } from '../../projections/polls/comments-projection.js';
import { pollFeedProjectionWith } from '../../projections/polls/feed-projection.js';
import { pollsProjection } from '../../projections/polls/polls-projection.js';
import { ProjectionSpecification, recordedEventLog, type RecordedEventLog } from '../support/projection-specification.js';

const comments = ProjectionSpecification(pollCommentsProjection, { poll_comment_threads: ['comment_id'] });
// Small limits, so that the cap, the backfill and fan-in show with a handful of events.
const feed = ProjectionSpecification(pollFeedProjectionWith({ fanOutLimit: 2, cap: 3, backfill: 2 }), {
  poll_feed_polls: ['poll_id'],
  poll_feed_follows: ['follower_id', 'followee_id'],
  poll_feed_authors: ['author_id'],
  poll_feed_items: ['owner_id', 'created_at', 'poll_id'],
});

const pollId = uuidv7();
const postedAt = '2026-11-20T09:30:00.000Z';
const deletedAt = '2026-11-21T09:30:00.000Z';

function comment(log: RecordedEventLog, id = uuidv7()) {
  return {
    id,
    posted: (authorId: string, parentId: string | null = null, repliedToAuthorId: string | null = null, at = postedAt) =>
      log.record(commentStreamId(id), {
        type: 'CommentPosted',
        data: { commentId: id, pollId, pollAuthorId: 'alice', authorId, parentId, repliedToAuthorId, text: `by ${authorId}`, postedAt: at },
      } satisfies CommentPosted),
    deleted: (parentId: string | null = null) =>
      log.record(commentStreamId(id), { type: 'CommentDeleted', data: { commentId: id, pollId, parentId, deletedBy: 'alice', deletedAt } } satisfies CommentDeleted),
  };
}

const threadRow = (id: string, authorId: string, parentId: string | null = null, repliedToAuthorId: string | null = null) => ({
  comment_id: id,
  poll_id: pollId,
  parent_id: parentId,
  author_id: authorId,
  replied_to_author_id: repliedToAuthorId,
  text: `by ${authorId}`,
  deleted: false,
  posted_at: new Date(postedAt),
  deleted_at: null,
  revision: 0,
});
const tombstone = (id: string, parentId: string | null = null) => ({
  ...threadRow(id, 'x', parentId),
  author_id: null,
  text: null,
  deleted: true,
  deleted_at: new Date(deletedAt),
  revision: 1,
});

test('comments and replies are kept with their thread, text and authors', async (t) => {
  const log = recordedEventLog();
  const [top, reply] = [comment(log), comment(log)];
  await comments.given([top.posted('bob')]).when([reply.posted('carol', top.id, 'bob')]).then(t, {
    poll_comment_threads: [threadRow(top.id, 'bob'), threadRow(reply.id, 'carol', top.id, 'bob')].sort((a, b) => a.comment_id.localeCompare(b.comment_id)),
  });
});

test('a deleted comment stays as a tombstone: its place, no text, no authors', async (t) => {
  const log = recordedEventLog();
  const [top, reply] = [comment(log), comment(log)];
  await comments
    .given([top.posted('bob'), reply.posted('carol', top.id, 'bob')])
    .when([top.deleted(), reply.deleted(top.id)])
    .then(t, { poll_comment_threads: [tombstone(top.id), tombstone(reply.id, top.id)].sort((a, b) => a.comment_id.localeCompare(b.comment_id)) });
});

test('a post and its deletion in one batch leave the same tombstone', async (t) => {
  const c = comment(recordedEventLog());
  await comments.given([c.posted('bob'), c.deleted()]).then(t, { poll_comment_threads: [tombstone(c.id)] });
});

// The feed.
const day = (n: number): string => `2026-11-${String(10 + n).padStart(2, '0')}T09:00:00.000Z`;

function feedLog() {
  const log = recordedEventLog();
  return {
    created: (authorId: string, n: number, visibility: PollVisibility = 'public', id = uuidv7()) =>
      log.record(pollStreamId(id), {
        type: 'PollCreated',
        data: { pollId: id, authorId, question: `Q${n}?`, options: [{ id: 'o-1', text: 'Yes' }, { id: 'o-2', text: 'No' }], closesAt: null, visibility, createdAt: day(n) },
      } satisfies PollCreated),
    closed: (id: string) =>
      log.record(pollStreamId(id), { type: 'PollClosed', data: { pollId: id, closedBy: 'a', reason: 'closed', closedAt: day(20) } } satisfies PollClosed),
    followed: (followerId: string, followeeId: string) =>
      log.record(followStreamId(followerId, followeeId), { type: 'UserFollowed', data: { followerId, followeeId, at: day(0) } } satisfies UserFollowed),
    unfollowed: (followerId: string, followeeId: string) =>
      log.record(followStreamId(followerId, followeeId), { type: 'UserUnfollowed', data: { followerId, followeeId, at: day(0) } } satisfies UserUnfollowed),
  };
}

type Created = ReturnType<ReturnType<typeof feedLog>['created']>;
const item = (owner: string, poll: Created) => ({ owner_id: owner, poll_id: poll.data.pollId, author_id: poll.data.authorId, created_at: new Date(poll.data.createdAt) });
/** Rows in the specification's key order: owner, then oldest first. */
const items = (...rows: ReturnType<typeof item>[]) =>
  [...rows].sort((a, b) => a.owner_id.localeCompare(b.owner_id) || a.created_at.getTime() - b.created_at.getTime() || a.poll_id.localeCompare(b.poll_id));

test('a new poll is in its author\'s feed and fanned out to their followers, not to others', async (t) => {
  const f = feedLog();
  const follows = [f.followed('bob', 'alice'), f.followed('carol', 'dave')];
  const poll = f.created('alice', 1, 'followers');
  await feed.given(follows).when([poll]).then(t, {
    poll_feed_items: items(item('alice', poll), item('bob', poll)),
    poll_feed_authors: [
      { author_id: 'alice', followers: 1, fan_in: false },
      { author_id: 'dave', followers: 1, fan_in: false },
    ],
  });
});

test('following brings the followee\'s newest polls in (up to the backfill); unfollowing takes them all out', async (t) => {
  const f = feedLog();
  const polls = [f.created('alice', 1), f.created('alice', 2), f.created('alice', 3)];
  await feed.given(polls).when([f.followed('bob', 'alice')]).then(t, { poll_feed_items: items(...polls.map((p) => item('alice', p)), item('bob', polls[1]!), item('bob', polls[2]!)) });

  const g = feedLog();
  const theirs = [g.created('alice', 1), g.created('alice', 2)];
  const own = g.created('bob', 3);
  await feed
    .given([g.followed('bob', 'alice'), ...theirs, own])
    .when([g.unfollowed('bob', 'alice')])
    .then(t, {
      poll_feed_items: items(...theirs.map((p) => item('alice', p)), item('bob', own)),
      poll_feed_follows: [{ follower_id: 'bob', followee_id: 'alice', following: false, revision: 1 }],
      poll_feed_authors: [{ author_id: 'alice', followers: 0, fan_in: false }],
    });
});

test('a follow and a poll in one batch, in either order, leave the poll in the feed; an unfollow after it leaves it out', async (t) => {
  const f = feedLog();
  const follow = f.followed('bob', 'alice');
  const poll = f.created('alice', 1);
  await feed.given([follow, poll]).then(t, { poll_feed_items: items(item('alice', poll), item('bob', poll)) });
  const g = feedLog();
  const early = g.created('alice', 1);
  await feed.given([early, g.followed('bob', 'alice')]).then(t, { poll_feed_items: items(item('alice', early), item('bob', early)) });
  const h = feedLog();
  const gone = [h.followed('bob', 'alice'), h.created('alice', 1), h.unfollowed('bob', 'alice')];
  await feed.given(gone).then(t, { poll_feed_items: [item('alice', gone[1] as Created)] });
});

test('each feed keeps only its newest rows, up to the cap', async (t) => {
  const f = feedLog();
  const polls = [f.created('alice', 4), f.created('alice', 1), f.created('alice', 3), f.created('alice', 2)];
  await feed.given([f.followed('bob', 'alice'), polls[0]!, polls[1]!]).when([polls[2]!, polls[3]!]).then(t, {
    poll_feed_items: items(...[polls[0]!, polls[2]!, polls[3]!].flatMap((p) => [item('alice', p), item('bob', p)])),
  });
});

test('followers a feed got before its followee turned fan-in keep those rows', async (t) => {
  const f = feedLog();
  const early = f.created('star', 1);
  await feed
    .given([f.followed('a', 'star'), f.followed('b', 'star'), early])
    .when([f.followed('c', 'star')])
    .then(t, { poll_feed_authors: [{ author_id: 'star', followers: 3, fan_in: true }], poll_feed_items: items(item('a', early), item('b', early), item('star', early)) });
});

test('an author past the fan-out limit is fan-in: their new polls stay in their own feed, and new follows copy nothing', async (t) => {
  const f = feedLog();
  const before = f.created('star', 1);
  const fans = [f.followed('a', 'star'), f.followed('b', 'star'), f.followed('c', 'star')];
  const after = f.created('star', 2);
  await feed
    .given([before, ...fans])
    .when([after, f.followed('d', 'star')])
    .then(t, {
      poll_feed_authors: [{ author_id: 'star', followers: 4, fan_in: true }],
      // The followers get star's polls merged in at read time (see the HTTP tests).
      poll_feed_items: items(item('star', before), item('star', after)),
    });
});

test('a closed poll reads closed in the feed\'s copy', async (t) => {
  const f = feedLog();
  const poll = f.created('alice', 1);
  await feed.given([poll]).when([f.closed(poll.data.pollId)]).then(t, {
    poll_feed_polls: [
      {
        poll_id: poll.data.pollId,
        author_id: 'alice',
        question: 'Q1?',
        options: [{ id: 'o-1', text: 'Yes' }, { id: 'o-2', text: 'No' }],
        visibility: 'public',
        closes_at: null,
        status: 'closed',
        closed_at: new Date(day(20)),
        created_at: new Date(day(1)),
        revision: 1,
      },
    ],
  });
});

// The polls read model's reaction counts and comment rows, as this feature's commands write them.
const polls = ProjectionSpecification(pollsProjection, { poll_reactions: ['poll_id', 'user_id'], poll_reaction_counts: ['poll_id', 'kind'], poll_comments: ['comment_id'] });

test('reaction counts follow each user\'s one reaction exactly: set, changed, removed, set again, across batches', async (t) => {
  const log = recordedEventLog();
  const set = (userId: string, kind: ReactionKind, previous: ReactionKind | null) =>
    log.record(reactionStreamId(pollId, userId), { type: 'ReactionSet', data: { pollId, userId, kind, previous, at: postedAt } } satisfies ReactionSet);
  const removed = (userId: string, kind: ReactionKind) =>
    log.record(reactionStreamId(pollId, userId), { type: 'ReactionRemoved', data: { pollId, userId, kind, at: postedAt } } satisfies ReactionRemoved);
  await polls
    .given([set('u1', 'like', null), set('u2', 'like', null), set('u1', 'wow', 'like'), set('u3', 'sad', null)])
    .when([removed('u3', 'sad'), set('u3', 'angry', null), set('u2', 'love', 'like'), set('u1', 'like', 'wow')])
    .then(t, {
      poll_reactions: [
        { poll_id: pollId, user_id: 'u1', kind: 'like', revision: 2 },
        { poll_id: pollId, user_id: 'u2', kind: 'love', revision: 1 },
        { poll_id: pollId, user_id: 'u3', kind: 'angry', revision: 2 },
      ],
      poll_reaction_counts: [
        { poll_id: pollId, kind: 'angry', count: 1 },
        { poll_id: pollId, kind: 'like', count: 1 },
        { poll_id: pollId, kind: 'love', count: 1 },
      ],
    });
});

test('the polls model keeps replies and marks deleted comments, which its count leaves out', async (t) => {
  const log = recordedEventLog();
  const [top, reply, gone] = [comment(log), comment(log), comment(log)];
  await polls.given([top.posted('bob'), reply.posted('carol', top.id, 'bob'), gone.posted('dave')]).when([gone.deleted()]).then(t, {
    poll_comments: [
      { comment_id: top.id, poll_id: pollId, deleted: false, revision: 0 },
      { comment_id: reply.id, poll_id: pollId, deleted: false, revision: 0 },
      { comment_id: gone.id, poll_id: pollId, deleted: true, revision: 1 },
    ].sort((a, b) => a.comment_id.localeCompare(b.comment_id)),
  });
});
