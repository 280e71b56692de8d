// A poll's state, folded from its own stream: open until closed by its author, an admin or its schedule.
import { assertNever } from '../kernel/decider.js';
import type { PollEvent, PollOption, PollVisibility } from './poll-events.js';

export type PollDetails = Readonly<{
  pollId: string;
  authorId: string;
  question: string;
  options: readonly PollOption[];
  closesAt: string | null;
  visibility: PollVisibility;
  createdAt: string;
}>;

export type Poll =
  | Readonly<{ status: 'initial' }>
  | (PollDetails & Readonly<{ status: 'open' }>)
  | (PollDetails & Readonly<{ status: 'closed'; closedAt: string; closedBy: string | null; reason: 'closed' | 'expired' }>);

export const initialState = (): Poll => ({ status: 'initial' });

export function evolve(state: Poll, event: PollEvent): Poll {
  switch (event.type) {
    case 'PollCreated': {
      const { pollId, authorId, question, options, closesAt, visibility, createdAt } = event.data;
      return { status: 'open', pollId, authorId, question, options, closesAt, visibility, createdAt };
    }
    case 'PollClosed': {
      if (state.status !== 'open') return state;
      const { closedAt, closedBy, reason } = event.data;
      return { ...state, status: 'closed', closedAt, closedBy, reason };
    }
    default:
      return assertNever(event);
  }
}

/** Whether a poll takes no more votes at `now`: closed, or past its closesAt even before its PollClosed is written. */
export const isClosedAt = (poll: PollDetails & Readonly<{ status: 'open' | 'closed' }>, now: Date): boolean =>
  poll.status === 'closed' || (poll.closesAt !== null && Date.parse(poll.closesAt) <= now.getTime());
