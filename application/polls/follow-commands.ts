// Follow handlers: one stream per follower and followee. Only registered users can be followed.
import { loadUser } from '../identity/users.js';
import { followDecider, type FollowUser, type UnfollowUser } from '../../domain/polls/follow-commands.js';
import { followStreamId } from '../../domain/polls/social-events.js';
import { NotFound } from '../../domain/kernel/errors.js';
import { handleCommand, type CommandContext, type CommandDependencies, type CommandResult } from '../kernel/handle-command.js';
import type { EventStore } from '../ports/event-store.js';

export type FollowCommandResult = CommandResult & Readonly<{ id: string; changed: boolean }>;

/** Throws FOLLOW.USER_NOT_FOUND unless identity has registered the user. */
export async function assertUserExists(store: EventStore, userId: string): Promise<void> {
  const user = await loadUser(store, userId);
  if (user.status === 'initial') throw new NotFound('FOLLOW.USER_NOT_FOUND', `User ${userId} does not exist`);
}

export async function followUser(deps: CommandDependencies, followerId: string, followeeId: string, context: CommandContext): Promise<FollowCommandResult> {
  // Yourself first: 400 whether or not you are registered.
  if (followerId !== followeeId) await assertUserExists(deps.store, followeeId);
  const result = await handleCommand(
    deps,
    followDecider,
    followStreamId(followerId, followeeId),
    (now): FollowUser => ({ type: 'FollowUser', data: { followerId, followeeId }, metadata: { now } }),
    context,
  );
  return { ...result, id: followeeId, changed: result.events.length > 0 };
}

export async function unfollowUser(deps: CommandDependencies, followerId: string, followeeId: string, context: CommandContext): Promise<FollowCommandResult> {
  if (followerId !== followeeId) await assertUserExists(deps.store, followeeId);
  const result = await handleCommand(
    deps,
    followDecider,
    followStreamId(followerId, followeeId),
    (now): UnfollowUser => ({ type: 'UnfollowUser', data: { followerId, followeeId }, metadata: { now } }),
    context,
  );
  return { ...result, id: followeeId, changed: result.events.length > 0 };
}
