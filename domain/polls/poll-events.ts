// Polls: one stream per poll. Votes, comments and reactions live in streams of their own (see their files), so a
// poll with a million voters never makes a hot stream.
import type { Event } from '../kernel/decider.js';

export const POLL_QUESTION_MAX_LENGTH = 300;
export const POLL_OPTION_MAX_LENGTH = 120;
export const POLL_OPTIONS_MIN = 2;
export const POLL_OPTIONS_MAX = 10;
export const POLL_VISIBILITIES = ['public', 'followers'] as const;
export type PollVisibility = (typeof POLL_VISIBILITIES)[number];

export const pollStreamId = (pollId: string): string => `poll-${pollId}`;

export type PollOption = Readonly<{ id: string; text: string }>;

export type PollCreated = Event<
  'PollCreated',
  {
    pollId: string;
    authorId: string;
    question: string;
    /** Option ids are minted when the poll is created, in the order given. */
    options: readonly PollOption[];
    closesAt: string | null;
    visibility: PollVisibility;
    createdAt: string;
  }
>;

/**
 * Closed by its author or an admin (`closedBy` their user id), or by the schedule once `closesAt` passed
 * (`closedBy` null, `closedAt` the poll's closesAt). Votes after `closesAt` are refused even before this event exists.
 */
export type PollClosed = Event<'PollClosed', { pollId: string; closedBy: string | null; reason: 'closed' | 'expired'; closedAt: string }>;

export type PollEvent = PollCreated | PollClosed;
export const POLL_EVENT_TYPES: readonly PollEvent['type'][] = ['PollCreated', 'PollClosed'];
