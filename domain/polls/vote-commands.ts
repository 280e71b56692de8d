// One voter's vote on one poll, in its own stream: cast, retracted, cast again. The poll arrives in the command
// (loaded by the handler from the poll's stream), so that the rules about it are decided here without I/O.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { IllegalState, NotFound, ValidationError } from '../kernel/errors.js';
import { isClosedAt, type PollDetails } from './poll.js';
import type { VoteEvent } from './vote-events.js';

export type Vote = Readonly<{ status: 'none' }> | Readonly<{ status: 'cast'; optionId: string }> | Readonly<{ status: 'retracted' }>;

export const initialState = (): Vote => ({ status: 'none' });

export function evolve(state: Vote, event: VoteEvent): Vote {
  switch (event.type) {
    case 'VoteCast':
      return { status: 'cast', optionId: event.data.optionId };
    case 'VoteRetracted':
      return { status: 'retracted' };
    default:
      return assertNever(event);
  }
}

/** The poll as a vote needs it. */
export type VotedPoll = PollDetails & Readonly<{ status: 'open' | 'closed' }>;

export type CastVote = Command<'CastVote', { poll: VotedPoll; voterId: string; optionId: string }>;
export type RetractVote = Command<'RetractVote', { poll: VotedPoll; voterId: string }>;
export type VoteCommand = CastVote | RetractVote;

export function decide(command: VoteCommand, state: Vote): readonly VoteEvent[] {
  const { poll, voterId } = command.data;
  const now = command.metadata.now;
  if (isClosedAt(poll, now)) throw new IllegalState('POLL.CLOSED', `Poll ${poll.pollId} is closed`);
  switch (command.type) {
    case 'CastVote': {
      const { optionId } = command.data;
      if (!poll.options.some((option) => option.id === optionId)) {
        throw new ValidationError('POLL.UNKNOWN_OPTION', `Poll ${poll.pollId} has no option ${optionId}`, [{ path: 'body.optionId', message: 'Unknown option' }]);
      }
      if (state.status === 'cast') throw new IllegalState('POLL.ALREADY_VOTED', `You have voted on poll ${poll.pollId} already`);
      return [{ type: 'VoteCast', data: { pollId: poll.pollId, voterId, optionId, castAt: now.toISOString() } }];
    }
    case 'RetractVote': {
      if (state.status !== 'cast') throw new NotFound('POLL.VOTE_NOT_FOUND', `You have no vote on poll ${poll.pollId}`);
      return [{ type: 'VoteRetracted', data: { pollId: poll.pollId, voterId, optionId: state.optionId, retractedAt: now.toISOString() } }];
    }
    default:
      return assertNever(command);
  }
}

export const voteDecider: Decider<Vote, VoteCommand, VoteEvent> = { decide, evolve, initialState };
