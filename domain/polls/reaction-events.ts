// Reactions: one stream per poll and user, holding that user's one (changeable) reaction to the poll.
import type { Event } from '../kernel/decider.js';

export const REACTION_KINDS = ['like', 'love', 'laugh', 'wow', 'sad', 'angry'] as const;
export type ReactionKind = (typeof REACTION_KINDS)[number];

export const reactionStreamId = (pollId: string, userId: string): string => `reaction-${pollId}:${userId}`;

/** `previous` is the kind it replaces (null for a first reaction), so counts move without reading anything. */
export type ReactionSet = Event<'ReactionSet', { pollId: string; userId: string; kind: ReactionKind; previous: ReactionKind | null; at: string }>;
export type ReactionRemoved = Event<'ReactionRemoved', { pollId: string; userId: string; kind: ReactionKind; at: string }>;

export type ReactionEvent = ReactionSet | ReactionRemoved;
export const REACTION_EVENT_TYPES: readonly ReactionEvent['type'][] = ['ReactionSet', 'ReactionRemoved'];
