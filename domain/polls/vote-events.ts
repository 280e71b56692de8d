// Votes: one stream per poll and voter, so that "one vote per user per poll" is the store's optimistic concurrency
// (the first vote appends with no_stream, a retracted vote's stream is appended to at its revision).
import type { Event } from '../kernel/decider.js';

export const voteStreamId = (pollId: string, voterId: string): string => `vote-${pollId}:${voterId}`;

export type VoteCast = Event<'VoteCast', { pollId: string; voterId: string; optionId: string; castAt: string }>;
export type VoteRetracted = Event<'VoteRetracted', { pollId: string; voterId: string; optionId: string; retractedAt: string }>;

export type VoteEvent = VoteCast | VoteRetracted;
export const VOTE_EVENT_TYPES: readonly VoteEvent['type'][] = ['VoteCast', 'VoteRetracted'];
