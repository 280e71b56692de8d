// Poll commands and the rules that decide them. Closing is idempotent: closing a closed poll decides nothing.
// Closing a poll past its closesAt records the expiry (closedAt = closesAt), the same event the schedule appends.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { Forbidden, NotFound, ValidationError } from '../kernel/errors.js';
import { evolve, initialState, isClosedAt, type Poll } from './poll.js';
import type { PollClosed, PollEvent, PollOption, PollVisibility } from './poll-events.js';

export type CreatePoll = Command<
  'CreatePoll',
  { pollId: string; authorId: string; question: string; options: readonly PollOption[]; closesAt: string | null; visibility: PollVisibility }
>;

/** `byAdmin`: the caller holds the admin role, and may close anyone's poll. */
export type ClosePoll = Command<'ClosePoll', { pollId: string; closedBy: string; byAdmin: boolean }>;

/** The schedule's close: decides PollClosed only for an open poll whose closesAt has passed. */
export type ExpirePoll = Command<'ExpirePoll', { pollId: string }>;

export type PollCommand = CreatePoll | ClosePoll | ExpirePoll;

const notFound = (pollId: string): NotFound => new NotFound('POLL.NOT_FOUND', `Poll ${pollId} does not exist`);

export function decide(command: PollCommand, state: Poll): readonly PollEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'CreatePoll': {
      const { pollId, authorId, question, options, closesAt, visibility } = command.data;
      if (state.status !== 'initial') return []; // the same minted id again: it ran before
      const texts = options.map((option) => option.text.trim().toLowerCase());
      if (new Set(texts).size !== texts.length) {
        throw new ValidationError('POLL.DUPLICATE_OPTIONS', 'The options of a poll must differ from each other', [{ path: 'body.options', message: 'Duplicate option' }]);
      }
      if (closesAt !== null && Date.parse(closesAt) <= now.getTime()) {
        throw new ValidationError('POLL.CLOSES_IN_PAST', 'closesAt must be in the future', [{ path: 'body.closesAt', message: 'Not in the future' }]);
      }
      return [{ type: 'PollCreated', data: { pollId, authorId, question, options, closesAt, visibility, createdAt: now.toISOString() } }];
    }
    case 'ClosePoll': {
      const { pollId, closedBy, byAdmin } = command.data;
      if (state.status === 'initial') throw notFound(pollId);
      if (state.authorId !== closedBy && !byAdmin) throw new Forbidden('POLL.NOT_AUTHOR', 'Only the author of a poll or an admin may close it');
      if (state.status === 'closed') return [];
      if (isClosedAt(state, now)) return [expired(state.pollId, state.closesAt!)];
      return [{ type: 'PollClosed', data: { pollId, closedBy, reason: 'closed', closedAt: now.toISOString() } }];
    }
    case 'ExpirePoll': {
      if (state.status !== 'open' || !isClosedAt(state, now)) return [];
      return [expired(state.pollId, state.closesAt!)];
    }
    default:
      return assertNever(command);
  }
}

const expired = (pollId: string, closesAt: string): PollClosed => ({ type: 'PollClosed', data: { pollId, closedBy: null, reason: 'expired', closedAt: closesAt } });

export const pollDecider: Decider<Poll, PollCommand, PollEvent> = { decide, evolve, initialState };
