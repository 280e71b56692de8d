// The profiles read model: given recorded events, the rows of social_profiles, and the same rows when every event
// is applied again.
import test from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { userStreamId, type UserRegistered } from '../../domain/identity/user-events.js';
import { pollStreamId, type PollCreated } from '../../domain/polls/poll-events.js';
import { followStreamId, profileStreamId, type ProfileUpdated, type UserFollowed, type UserUnfollowed } from '../../domain/polls/social-events.js';
import { profileProjection } from '../../projections/polls/profile-projection.js';
import type { SocialProfilesTable } from '../../projections/polls/social-schema.js';
import { ProjectionSpecification, recordedEventLog } from '../support/projection-specification.js';

const spec = ProjectionSpecification(profileProjection, { social_profiles: ['user_id'], social_profile_streams: ['stream_id'] });

const ann = '01a2041a-9df6-7589-a81b-b54b10957501';
const bob = '01a2041a-9df6-7589-a81b-b54b10957502';
const at = '2026-12-01T10:00:00.000Z';

function history(log = recordedEventLog()) {
  return {
    registered: (userId: string, displayName: string) =>
      log.record(userStreamId(userId), { type: 'UserRegistered', data: { userId, email: `${displayName}@example.com`, displayName, roles: ['member'], registeredAt: at } } satisfies UserRegistered),
    updated: (userId: string, data: Partial<ProfileUpdated['data']>) =>
      log.record(profileStreamId(userId), { type: 'ProfileUpdated', data: { userId, ...data, updatedAt: at } } satisfies ProfileUpdated),
    followed: (followerId: string, followeeId: string) =>
      log.record(followStreamId(followerId, followeeId), { type: 'UserFollowed', data: { followerId, followeeId, at } } satisfies UserFollowed),
    unfollowed: (followerId: string, followeeId: string) =>
      log.record(followStreamId(followerId, followeeId), { type: 'UserUnfollowed', data: { followerId, followeeId, at } } satisfies UserUnfollowed),
    pollCreated: (authorId: string) => {
      const pollId = uuidv7();
      return log.record(pollStreamId(pollId), {
        type: 'PollCreated',
        data: { pollId, authorId, question: 'Tea or coffee?', options: [{ id: 'o1', text: 'Tea' }, { id: 'o2', text: 'Coffee' }], closesAt: null, visibility: 'public', createdAt: at },
      } satisfies PollCreated);
    },
  };
}

const profile = (userId: string, registeredName: string | null, rest: Partial<SocialProfilesTable> = {}): SocialProfilesTable => ({
  user_id: userId,
  registered: registeredName !== null,
  registered_name: registeredName,
  display_name: null,
  bio: null,
  avatar_url: null,
  followers: 0,
  following: 0,
  polls: 0,
  ...rest,
});

test('given a registration, then a profile with the registered name and no counts', async (t) => {
  const h = history();
  await spec.given([h.registered(ann, 'Ann')]).then(t, { social_profiles: [profile(ann, 'Ann')] });
});

test('given profile updates, then only the fields each names change; empty strings clear', async (t) => {
  const h = history();
  await spec
    .given([h.registered(ann, 'Ann'), h.updated(ann, { displayName: 'Annie', bio: 'Polls', avatarUrl: 'https://img.example.com/a.png' })])
    .when([h.updated(ann, { bio: '' }), h.updated(ann, { avatarUrl: 'https://img.example.com/b.png' })])
    .then(t, { social_profiles: [profile(ann, 'Ann', { display_name: 'Annie', avatar_url: 'https://img.example.com/b.png' })] });
});

test('given follows, unfollows and polls, then the counts of both sides move exactly once per event', async (t) => {
  const h = history();
  await spec
    .given([h.registered(ann, 'Ann'), h.registered(bob, 'Bob'), h.followed(bob, ann), h.pollCreated(ann), h.pollCreated(ann)])
    .when([h.followed(ann, bob), h.unfollowed(bob, ann), h.followed(bob, ann), h.pollCreated(bob)])
    .then(t, {
      social_profiles: [profile(ann, 'Ann', { followers: 1, following: 1, polls: 2 }), profile(bob, 'Bob', { followers: 1, following: 1, polls: 1 })],
    });
});

test('given counts before the registration arrives, then the row is nobody until it does, and keeps them', async (t) => {
  const h = history();
  const early = [h.followed(bob, ann), h.updated(ann, { bio: 'early' })];
  await spec.given(early).then(t, { social_profiles: [profile(ann, null, { followers: 1, bio: 'early' }), profile(bob, null, { following: 1 })] });
  await spec
    .given(early)
    .when([h.registered(ann, 'Ann')])
    .then(t, { social_profiles: [profile(ann, 'Ann', { followers: 1, bio: 'early' }), profile(bob, null, { following: 1 })] });
});
