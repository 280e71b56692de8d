import test from 'ava';
import { followDecider, type FollowEvent, type FollowUser, type UnfollowUser } from '../../domain/polls/follow-commands.js';
import { pollDecider, type ClosePoll, type CreatePoll, type ExpirePoll } from '../../domain/polls/poll-commands.js';
import type { PollEvent } from '../../domain/polls/poll-events.js';
import { voteDecider, type CastVote, type RetractVote, type VotedPoll } from '../../domain/polls/vote-commands.js';
import type { VoteEvent } from '../../domain/polls/vote-events.js';
import { DeciderSpecification } from '../support/decider-specification.js';

const polls = DeciderSpecification(pollDecider);
const votes = DeciderSpecification(voteDecider);
const follows = DeciderSpecification(followDecider);

const pollId = '01a2041a-9df6-7589-a81b-b54b1095756f';
const now = new Date('2026-11-22T10:00:00.000Z');
const later = new Date('2026-11-23T10:00:00.000Z');
const closesAt = '2026-11-22T12:00:00.000Z';
const options = [
  { id: 'o-1', text: 'Tea' },
  { id: 'o-2', text: 'Coffee' },
];

const create = (overrides: Partial<CreatePoll['data']> = {}, at = now): CreatePoll => ({
  type: 'CreatePoll',
  data: { pollId, authorId: 'alice', question: 'Tea or coffee?', options, closesAt, visibility: 'public', ...overrides },
  metadata: { now: at },
});
const created: PollEvent = {
  type: 'PollCreated',
  data: { pollId, authorId: 'alice', question: 'Tea or coffee?', options, closesAt, visibility: 'public', createdAt: now.toISOString() },
};
const close = (closedBy: string, byAdmin = false, at = now): ClosePoll => ({ type: 'ClosePoll', data: { pollId, closedBy, byAdmin }, metadata: { now: at } });
const closedBy = (by: string): PollEvent => ({ type: 'PollClosed', data: { pollId, closedBy: by, reason: 'closed', closedAt: now.toISOString() } });
const expired: PollEvent = { type: 'PollClosed', data: { pollId, closedBy: null, reason: 'expired', closedAt: closesAt } };
const expire = (at: Date): ExpirePoll => ({ type: 'ExpirePoll', data: { pollId }, metadata: { now: at } });

test('creating a poll records it, stamped with the command time', (t) => {
  polls.given([]).when(create()).then(t, [created]);
});

test('a poll with the same option twice (ignoring case and spaces) is refused', (t) => {
  polls.given([]).when(create({ options: [{ id: 'a', text: 'Tea' }, { id: 'b', text: ' tea' }] })).thenThrows(t, 'POLL.DUPLICATE_OPTIONS');
});

test('a poll closing at or before the command time is refused', (t) => {
  polls.given([]).when(create({ closesAt: now.toISOString() })).thenThrows(t, 'POLL.CLOSES_IN_PAST');
});

test('creating a poll that exists (the same minted id again) decides nothing', (t) => {
  polls.given([created]).when(create()).then(t, []);
});

test('its author closes a poll', (t) => {
  polls.given([created]).when(close('alice')).then(t, [closedBy('alice')]);
});

test('an admin closes anyone\'s poll', (t) => {
  polls.given([created]).when(close('root', true)).then(t, [closedBy('root')]);
});

test('someone else may not close a poll', (t) => {
  polls.given([created]).when(close('bob')).thenThrows(t, 'POLL.NOT_AUTHOR');
});

test('closing a closed poll decides nothing', (t) => {
  polls.given([created, closedBy('alice')]).when(close('alice')).then(t, []);
});

test('closing a poll that does not exist is not found', (t) => {
  polls.given([]).when(close('alice')).thenThrows(t, 'POLL.NOT_FOUND');
});

test('closing a poll past its closesAt records its expiry at closesAt', (t) => {
  polls.given([created]).when(close('alice', false, later)).then(t, [expired]);
});

test('the schedule expires an open poll past its closesAt', (t) => {
  polls.given([created]).when(expire(later)).then(t, [expired]);
});

test('the schedule leaves a poll not yet due, one closed already, and one without closesAt alone', (t) => {
  polls.given([created]).when(expire(now)).then(t, []);
  polls.given([created, closedBy('alice')]).when(expire(later)).then(t, []);
  polls.given([created, expired]).when(expire(later)).then(t, []);
  const open: PollEvent = { type: 'PollCreated', data: { ...(created.data as Extract<PollEvent, { type: 'PollCreated' }>['data']), closesAt: null } };
  polls.given([open]).when(expire(later)).then(t, []);
});

const poll: VotedPoll = { status: 'open', pollId, authorId: 'alice', question: 'Tea or coffee?', options, closesAt, visibility: 'public', createdAt: now.toISOString() };
const cast = (optionId: string, at = now, on: VotedPoll = poll): CastVote => ({ type: 'CastVote', data: { poll: on, voterId: 'bob', optionId }, metadata: { now: at } });
const retract = (at = now, on: VotedPoll = poll): RetractVote => ({ type: 'RetractVote', data: { poll: on, voterId: 'bob' }, metadata: { now: at } });
const voteCast = (optionId: string): VoteEvent => ({ type: 'VoteCast', data: { pollId, voterId: 'bob', optionId, castAt: now.toISOString() } });
const voteRetracted = (optionId: string): VoteEvent => ({ type: 'VoteRetracted', data: { pollId, voterId: 'bob', optionId, retractedAt: now.toISOString() } });

test('a first vote is cast', (t) => {
  votes.given([]).when(cast('o-2')).then(t, [voteCast('o-2')]);
});

test('a second vote is refused', (t) => {
  votes.given([voteCast('o-1')]).when(cast('o-2')).thenThrows(t, 'POLL.ALREADY_VOTED');
});

test('a vote for an option the poll lacks is refused', (t) => {
  votes.given([]).when(cast('o-9')).thenThrows(t, 'POLL.UNKNOWN_OPTION');
});

test('a vote on a closed poll is refused', (t) => {
  votes.given([]).when(cast('o-1', now, { ...poll, status: 'closed' })).thenThrows(t, 'POLL.CLOSED');
});

test('a vote at or after closesAt is refused, before any PollClosed', (t) => {
  votes.given([]).when(cast('o-1', new Date(closesAt))).thenThrows(t, 'POLL.CLOSED');
});

test('a vote is retracted, and may then be cast again', (t) => {
  votes.given([voteCast('o-1')]).when(retract()).then(t, [voteRetracted('o-1')]);
  votes.given([voteCast('o-1'), voteRetracted('o-1')]).when(cast('o-2')).then(t, [voteCast('o-2')]);
});

test('retracting without a vote is not found', (t) => {
  votes.given([]).when(retract()).thenThrows(t, 'POLL.VOTE_NOT_FOUND');
  votes.given([voteCast('o-1'), voteRetracted('o-1')]).when(retract()).thenThrows(t, 'POLL.VOTE_NOT_FOUND');
});

test('a vote cannot be retracted once the poll is closed', (t) => {
  votes.given([voteCast('o-1')]).when(retract(later)).thenThrows(t, 'POLL.CLOSED');
});

const follow = (followeeId = 'bob'): FollowUser => ({ type: 'FollowUser', data: { followerId: 'alice', followeeId }, metadata: { now } });
const unfollow = (followeeId = 'bob'): UnfollowUser => ({ type: 'UnfollowUser', data: { followerId: 'alice', followeeId }, metadata: { now } });
const followed: FollowEvent = { type: 'UserFollowed', data: { followerId: 'alice', followeeId: 'bob', at: now.toISOString() } };
const unfollowed: FollowEvent = { type: 'UserUnfollowed', data: { followerId: 'alice', followeeId: 'bob', at: now.toISOString() } };

test('following a user records it; following again decides nothing', (t) => {
  follows.given([]).when(follow()).then(t, [followed]);
  follows.given([followed]).when(follow()).then(t, []);
  follows.given([followed, unfollowed]).when(follow()).then(t, [followed]);
});

test('unfollowing records it; unfollowing someone not followed decides nothing', (t) => {
  follows.given([followed]).when(unfollow()).then(t, [unfollowed]);
  follows.given([]).when(unfollow()).then(t, []);
  follows.given([followed, unfollowed]).when(unfollow()).then(t, []);
});

test('following yourself is refused', (t) => {
  follows.given([]).when(follow('alice')).thenThrows(t, 'FOLLOW.SELF');
});
