// Reaction handlers: one stream per poll and user, so "one reaction per user per poll" is the stream itself.
import { reactionDecider, type RemoveReaction, type SetReaction } from '../../domain/polls/reaction-commands.js';
import { reactionStreamId, type ReactionKind } from '../../domain/polls/reaction-events.js';
import { IllegalState, WrongExpectedRevision } from '../../domain/kernel/errors.js';
import { handleCommand, type CommandContext, type CommandDependencies, type CommandResult } from '../kernel/handle-command.js';
import { readVisiblePoll, type Viewer } from './poll-access.js';

export type ReactionCommandResult = CommandResult & Readonly<{ id: string; changed: boolean }>;

const changedMeanwhile = (pollId: string): IllegalState => new IllegalState('REACTION.CHANGED', `Your reaction to poll ${pollId} changed meanwhile; try again`);

export async function setReaction(deps: CommandDependencies, pollId: string, kind: ReactionKind, user: Viewer, context: CommandContext): Promise<ReactionCommandResult> {
  await readVisiblePoll(deps, user, pollId);
  try {
    const result = await handleCommand(
      deps,
      reactionDecider,
      reactionStreamId(pollId, user.sub),
      (now): SetReaction => ({ type: 'SetReaction', data: { pollId, userId: user.sub, kind }, metadata: { now } }),
      context,
    );
    return { ...result, id: pollId, changed: result.events.length > 0 };
  } catch (error) {
    // Every retry lost a race on this user's reaction stream: their other requests kept changing it.
    if (error instanceof WrongExpectedRevision) throw changedMeanwhile(pollId);
    throw error;
  }
}

export async function removeReaction(deps: CommandDependencies, pollId: string, user: Viewer, context: CommandContext): Promise<ReactionCommandResult> {
  await readVisiblePoll(deps, user, pollId);
  try {
    const result = await handleCommand(
      deps,
      reactionDecider,
      reactionStreamId(pollId, user.sub),
      (now): RemoveReaction => ({ type: 'RemoveReaction', data: { pollId, userId: user.sub }, metadata: { now } }),
      context,
    );
    return { ...result, id: pollId, changed: result.events.length > 0 };
  } catch (error) {
    if (error instanceof WrongExpectedRevision) throw changedMeanwhile(pollId);
    throw error;
  }
}
