// Poll and vote handlers: load → decide → append. A vote lives in the stream of its poll and voter, so one vote
// per user per poll is the store's optimistic concurrency (no_stream for the first vote), never a read model's.
import { pollDecider, type ClosePoll, type CreatePoll, type ExpirePoll } from '../../domain/polls/poll-commands.js';
import { pollStreamId, type PollVisibility } from '../../domain/polls/poll-events.js';
import { voteDecider, type CastVote, type RetractVote } from '../../domain/polls/vote-commands.js';
import { voteStreamId } from '../../domain/polls/vote-events.js';
import { IllegalState, WrongExpectedRevision } from '../../domain/kernel/errors.js';
import { handleCommand, type CommandContext, type CommandDependencies, type CommandResult } from '../kernel/handle-command.js';
import { readVisiblePoll, type Viewer } from './poll-access.js';

export type CreatePollInput = Readonly<{ question: string; options: readonly string[]; closesAt: string | null; visibility: PollVisibility }>;

export type PollCommandResult = CommandResult & Readonly<{ id: string }>;

export async function createPoll(deps: CommandDependencies, authorId: string, input: CreatePollInput, context: CommandContext): Promise<PollCommandResult> {
  const pollId = deps.ids.next();
  // Minted here, in the order given, so that a retry with the same Idempotency-Key mints the same ids.
  const options = input.options.map((text) => ({ id: deps.ids.next(), text }));
  const result = await handleCommand(
    deps,
    pollDecider,
    pollStreamId(pollId),
    (now): CreatePoll => ({ type: 'CreatePoll', data: { pollId, authorId, question: input.question, options, closesAt: input.closesAt, visibility: input.visibility }, metadata: { now } }),
    { ...context, newStream: true },
  );
  return { ...result, id: pollId };
}

export async function closePoll(deps: CommandDependencies, pollId: string, actor: Viewer, context: CommandContext): Promise<PollCommandResult> {
  await readVisiblePoll(deps, actor, pollId);
  const byAdmin = actor.roles?.includes('admin') === true;
  const result = await handleCommand(
    deps,
    pollDecider,
    pollStreamId(pollId),
    (now): ClosePoll => ({ type: 'ClosePoll', data: { pollId, closedBy: actor.sub, byAdmin }, metadata: { now } }),
    context,
  );
  return { ...result, id: pollId };
}

/** The schedule's close of a poll past its closesAt; decides nothing (`closed` false) for a poll closed already or not yet due. */
export async function expirePoll(deps: CommandDependencies, pollId: string, context: CommandContext): Promise<PollCommandResult & Readonly<{ closed: boolean }>> {
  const { streamId, revision, position, events } = await handleCommand(
    deps,
    pollDecider,
    pollStreamId(pollId),
    (now): ExpirePoll => ({ type: 'ExpirePoll', data: { pollId }, metadata: { now } }),
    context,
  );
  return { streamId, revision, position, id: pollId, closed: events.length > 0 };
}

export async function castVote(deps: CommandDependencies, pollId: string, optionId: string, voter: Viewer, context: CommandContext): Promise<PollCommandResult> {
  const poll = await readVisiblePoll(deps, voter, pollId);
  try {
    const result = await handleCommand(
      deps,
      voteDecider,
      voteStreamId(pollId, voter.sub),
      (now): CastVote => ({ type: 'CastVote', data: { poll, voterId: voter.sub, optionId }, metadata: { now } }),
      context,
    );
    return { ...result, id: pollId };
  } catch (error) {
    // Every retry lost a race on this voter's stream: another request of theirs voted (or retracted) meanwhile.
    if (error instanceof WrongExpectedRevision) throw new IllegalState('POLL.ALREADY_VOTED', `You have voted on poll ${pollId} already`);
    throw error;
  }
}

export async function retractVote(deps: CommandDependencies, pollId: string, voter: Viewer, context: CommandContext): Promise<PollCommandResult> {
  const poll = await readVisiblePoll(deps, voter, pollId);
  try {
    const result = await handleCommand(
      deps,
      voteDecider,
      voteStreamId(pollId, voter.sub),
      (now): RetractVote => ({ type: 'RetractVote', data: { poll, voterId: voter.sub }, metadata: { now } }),
      context,
    );
    return { ...result, id: pollId };
  } catch (error) {
    if (error instanceof WrongExpectedRevision) throw new IllegalState('POLL.VOTE_CHANGED', `Your vote on poll ${pollId} changed meanwhile; try again`);
    throw error;
  }
}
