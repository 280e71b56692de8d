// The polls read model: given recorded events, its rows, and the same rows when the events are applied again.
import test from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { commentStreamId, type CommentDeleted, type CommentPosted } from '../../domain/polls/comment-events.js';
import { pollStreamId, type PollClosed, type PollCreated } from '../../domain/polls/poll-events.js';
import { reactionStreamId, type ReactionKind, type ReactionRemoved, type ReactionSet } from '../../domain/polls/reaction-events.js';
import { followStreamId, type UserFollowed, type UserUnfollowed } from '../../domain/polls/social-events.js';
import { voteStreamId, type VoteCast, type VoteRetracted } from '../../domain/polls/vote-events.js';
import { pollsProjection, type PollRow } from '../../projections/polls/polls-projection.js';
import { ProjectionSpecification, recordedEventLog, type RecordedEventLog } from '../support/projection-specification.js';

const spec = ProjectionSpecification(pollsProjection, {
  polls: ['id'],
  poll_votes: ['poll_id', 'voter_id'],
  poll_tallies: ['poll_id', 'option_id'],
  poll_reactions: ['poll_id', 'user_id'],
  poll_reaction_counts: ['poll_id', 'kind'],
  poll_comments: ['comment_id'],
  poll_follows: ['follower_id', 'followee_id'],
});

const createdAt = '2026-11-20T09:30:00.000Z';
const closesAt = '2026-11-27T09:30:00.000Z';
const options = [
  { id: 'o-1', text: 'Tea' },
  { id: 'o-2', text: 'Coffee' },
];

function poll(log: RecordedEventLog, id = uuidv7()) {
  return {
    id,
    created: () =>
      log.record(pollStreamId(id), { type: 'PollCreated', data: { pollId: id, authorId: 'alice', question: 'Tea or coffee?', options, closesAt, visibility: 'public', createdAt } } satisfies PollCreated),
    closed: () => log.record(pollStreamId(id), { type: 'PollClosed', data: { pollId: id, closedBy: 'alice', reason: 'closed', closedAt: '2026-11-21T08:00:00.000Z' } } satisfies PollClosed),
    cast: (voterId: string, optionId: string) =>
      log.record(voteStreamId(id, voterId), { type: 'VoteCast', data: { pollId: id, voterId, optionId, castAt: createdAt } } satisfies VoteCast),
    retracted: (voterId: string, optionId: string) =>
      log.record(voteStreamId(id, voterId), { type: 'VoteRetracted', data: { pollId: id, voterId, optionId, retractedAt: createdAt } } satisfies VoteRetracted),
    reacted: (userId: string, kind: ReactionKind, previous: ReactionKind | null = null) =>
      log.record(reactionStreamId(id, userId), { type: 'ReactionSet', data: { pollId: id, userId, kind, previous, at: createdAt } } satisfies ReactionSet),
    unreacted: (userId: string, kind: ReactionKind) =>
      log.record(reactionStreamId(id, userId), { type: 'ReactionRemoved', data: { pollId: id, userId, kind, at: createdAt } } satisfies ReactionRemoved),
    commented: (commentId: string, parentId: string | null = null) =>
      log.record(commentStreamId(commentId), {
        type: 'CommentPosted',
        data: { commentId, pollId: id, pollAuthorId: 'alice', authorId: 'bob', parentId, repliedToAuthorId: null, text: 'Tea!', postedAt: createdAt },
      } satisfies CommentPosted),
    uncommented: (commentId: string, parentId: string | null = null) =>
      log.record(commentStreamId(commentId), { type: 'CommentDeleted', data: { commentId, pollId: id, parentId, deletedBy: 'bob', deletedAt: createdAt } } satisfies CommentDeleted),
  };
}

const pollRow = (id: string, changes: Partial<PollRow> = {}): PollRow => ({
  id,
  author_id: 'alice',
  question: 'Tea or coffee?',
  options,
  closes_at: new Date(closesAt),
  visibility: 'public',
  status: 'open',
  closed_at: null,
  revision: 0,
  created_at: new Date(createdAt),
  ...changes,
});

test('a created poll is a row, open', async (t) => {
  const p = poll(recordedEventLog());
  await spec.given([p.created()]).then(t, { polls: [pollRow(p.id)] });
});

test('a closed poll reads closed, at its close', async (t) => {
  const p = poll(recordedEventLog());
  await spec.given([p.created()]).when([p.closed()]).then(t, { polls: [pollRow(p.id, { status: 'closed', closed_at: new Date('2026-11-21T08:00:00.000Z'), revision: 1 })] });
});

test('votes are tallied per option; a retracted vote no longer counts, a vote cast again counts once', async (t) => {
  const p = poll(recordedEventLog());
  await spec
    .given([p.created(), p.cast('bob', 'o-1'), p.cast('carol', 'o-1'), p.cast('dave', 'o-2')])
    .when([p.retracted('bob', 'o-1'), p.cast('bob', 'o-2'), p.retracted('dave', 'o-2')])
    .then(t, {
      poll_votes: [
        { poll_id: p.id, voter_id: 'bob', option_id: 'o-2', revision: 2 },
        { poll_id: p.id, voter_id: 'carol', option_id: 'o-1', revision: 0 },
        { poll_id: p.id, voter_id: 'dave', option_id: null, revision: 1 },
      ],
      poll_tallies: [
        { poll_id: p.id, option_id: 'o-1', votes: 1 },
        { poll_id: p.id, option_id: 'o-2', votes: 1 },
      ],
    });
});

test('votes count whether or not their poll is applied yet (Kafka orders streams, not the log)', async (t) => {
  const log = recordedEventLog();
  const p = poll(log);
  await spec.given([p.cast('bob', 'o-1')]).then(t, { polls: [], poll_tallies: [{ poll_id: p.id, option_id: 'o-1', votes: 1 }] });
});

test('a tally that falls to zero goes, however the events were batched', async (t) => {
  const p = poll(recordedEventLog());
  await spec.given([p.created(), p.cast('bob', 'o-1')]).when([p.retracted('bob', 'o-1')]).then(t, { poll_tallies: [] });
});

test('reactions are counted per kind; a changed reaction moves, a removed one goes', async (t) => {
  const p = poll(recordedEventLog());
  await spec
    .given([p.created(), p.reacted('bob', 'like'), p.reacted('carol', 'like'), p.reacted('dave', 'wow')])
    .when([p.reacted('bob', 'love', 'like'), p.unreacted('dave', 'wow')])
    .then(t, {
      poll_reactions: [
        { poll_id: p.id, user_id: 'bob', kind: 'love', revision: 1 },
        { poll_id: p.id, user_id: 'carol', kind: 'like', revision: 0 },
        { poll_id: p.id, user_id: 'dave', kind: null, revision: 1 },
      ],
      poll_reaction_counts: [
        { poll_id: p.id, kind: 'like', count: 1 },
        { poll_id: p.id, kind: 'love', count: 1 },
      ],
    });
});

test('comments and replies are kept; deleted ones are marked', async (t) => {
  const p = poll(recordedEventLog());
  await spec
    .given([p.created(), p.commented('c-1'), p.commented('c-2', 'c-1')])
    .when([p.uncommented('c-1'), p.commented('c-3')])
    .then(t, {
      poll_comments: [
        { comment_id: 'c-1', poll_id: p.id, deleted: true, revision: 1 },
        { comment_id: 'c-2', poll_id: p.id, deleted: false, revision: 0 },
        { comment_id: 'c-3', poll_id: p.id, deleted: false, revision: 0 },
      ],
    });
});

test('follows are kept per follower and followee, with when the current follow began', async (t) => {
  const log = recordedEventLog();
  const followed = (followerId: string, followeeId: string, at: string) =>
    log.record(followStreamId(followerId, followeeId), { type: 'UserFollowed', data: { followerId, followeeId, at } } satisfies UserFollowed);
  const unfollowed = (followerId: string, followeeId: string, at: string) =>
    log.record(followStreamId(followerId, followeeId), { type: 'UserUnfollowed', data: { followerId, followeeId, at } } satisfies UserUnfollowed);
  await spec
    .given([followed('bob', 'alice', '2026-11-20T10:00:00.000Z'), followed('carol', 'alice', '2026-11-20T11:00:00.000Z')])
    .when([unfollowed('bob', 'alice', '2026-11-21T10:00:00.000Z'), unfollowed('carol', 'alice', '2026-11-21T10:00:00.000Z'), followed('carol', 'alice', '2026-11-22T10:00:00.000Z')])
    .then(t, {
      poll_follows: [
        { follower_id: 'bob', followee_id: 'alice', following: false, since: new Date('2026-11-20T10:00:00.000Z'), revision: 1 },
        { follower_id: 'carol', followee_id: 'alice', following: true, since: new Date('2026-11-22T10:00:00.000Z'), revision: 2 },
      ],
    });
});

test('every event of a busy poll applied in one batch leaves what many batches leave', async (t) => {
  const p = poll(recordedEventLog());
  await spec
    .given([p.created(), p.cast('bob', 'o-1'), p.retracted('bob', 'o-1'), p.cast('bob', 'o-2'), p.reacted('bob', 'sad'), p.unreacted('bob', 'sad'), p.commented('c-9'), p.closed()])
    .then(t, {
      polls: [pollRow(p.id, { status: 'closed', closed_at: new Date('2026-11-21T08:00:00.000Z'), revision: 1 })],
      poll_tallies: [{ poll_id: p.id, option_id: 'o-2', votes: 1 }],
      poll_reaction_counts: [],
      poll_comments: [{ comment_id: 'c-9', poll_id: p.id, deleted: false, revision: 0 }],
    });
});
