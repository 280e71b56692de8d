// One follower's follow of one followee, in its own stream. Following twice, or unfollowing someone not
// followed, decides nothing: both requests are idempotent.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { ValidationError } from '../kernel/errors.js';
import type { UserFollowed, UserUnfollowed } from './social-events.js';

export type FollowEvent = UserFollowed | UserUnfollowed;
export const FOLLOW_EVENT_TYPES: readonly FollowEvent['type'][] = ['UserFollowed', 'UserUnfollowed'];

export type Follow = Readonly<{ following: boolean }>;

export const initialState = (): Follow => ({ following: false });

export function evolve(_state: Follow, event: FollowEvent): Follow {
  switch (event.type) {
    case 'UserFollowed':
      return { following: true };
    case 'UserUnfollowed':
      return { following: false };
    default:
      return assertNever(event);
  }
}

export type FollowUser = Command<'FollowUser', { followerId: string; followeeId: string }>;
export type UnfollowUser = Command<'UnfollowUser', { followerId: string; followeeId: string }>;
export type FollowCommand = FollowUser | UnfollowUser;

export function decide(command: FollowCommand, state: Follow): readonly FollowEvent[] {
  const { followerId, followeeId } = command.data;
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'FollowUser':
      if (followerId === followeeId) throw new ValidationError('FOLLOW.SELF', 'You cannot follow yourself', [{ path: 'params.id', message: 'Your own id' }]);
      return state.following ? [] : [{ type: 'UserFollowed', data: { followerId, followeeId, at } }];
    case 'UnfollowUser':
      if (followerId === followeeId) throw new ValidationError('FOLLOW.SELF', 'You cannot unfollow yourself', [{ path: 'params.id', message: 'Your own id' }]);
      return state.following ? [{ type: 'UserUnfollowed', data: { followerId, followeeId, at } }] : [];
    default:
      return assertNever(command);
  }
}

export const followDecider: Decider<Follow, FollowCommand, FollowEvent> = { decide, evolve, initialState };
