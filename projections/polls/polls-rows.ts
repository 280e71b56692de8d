// The polls read model's rows, each folded from one stream by a pure evolve. A row keeps its stream's revision:
// an event at or below it is applied already, and changes nothing.
import type { Selectable } from 'kysely';
import { assertNever } from '../../domain/kernel/decider.js';
import type { CommentEvent } from '../../domain/polls/comment-events.js';
import type { FollowEvent } from '../../domain/polls/follow-commands.js';
import type { PollEvent } from '../../domain/polls/poll-events.js';
import type { ReactionEvent } from '../../domain/polls/reaction-events.js';
import type { VoteEvent } from '../../domain/polls/vote-events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { PollCommentsTable, PollFollowsTable, PollReactionsTable, PollsTable, PollVotesTable } from './polls-schema.js';

/** `options` as the projection writes it: parsed JSON, not text. */
export type PollRow = Omit<Selectable<PollsTable>, 'options'> & { options: unknown };
export type VoteRow = Selectable<PollVotesTable>;
export type ReactionRow = Selectable<PollReactionsTable>;
export type CommentRow = Selectable<PollCommentsTable>;
export type FollowRow = Selectable<PollFollowsTable>;

const applied = (row: { revision: number } | null, event: RecordedEvent): boolean => row !== null && event.revision <= row.revision;

export function evolvePoll(row: PollRow | null, event: RecordedEvent): PollRow | null {
  if (applied(row, event)) return row;
  const pollEvent = event as unknown as PollEvent;
  switch (pollEvent.type) {
    case 'PollCreated': {
      const { pollId, authorId, question, options, closesAt, visibility, createdAt } = pollEvent.data;
      return {
        id: pollId,
        author_id: authorId,
        question,
        options: options.map(({ id, text }) => ({ id, text })),
        closes_at: closesAt === null ? null : new Date(closesAt),
        visibility,
        status: 'open',
        closed_at: null,
        revision: event.revision,
        created_at: new Date(createdAt),
      };
    }
    case 'PollClosed':
      if (row === null) return null;
      return { ...row, status: 'closed', closed_at: new Date(pollEvent.data.closedAt), revision: event.revision };
    default:
      return assertNever(pollEvent);
  }
}

export function evolveVote(row: VoteRow | null, event: RecordedEvent): VoteRow | null {
  if (applied(row, event)) return row;
  const voteEvent = event as unknown as VoteEvent;
  const { pollId, voterId } = voteEvent.data;
  switch (voteEvent.type) {
    case 'VoteCast':
      return { poll_id: pollId, voter_id: voterId, option_id: voteEvent.data.optionId, revision: event.revision };
    case 'VoteRetracted':
      return { poll_id: pollId, voter_id: voterId, option_id: null, revision: event.revision };
    default:
      return assertNever(voteEvent);
  }
}

export function evolveReaction(row: ReactionRow | null, event: RecordedEvent): ReactionRow | null {
  if (applied(row, event)) return row;
  const reactionEvent = event as unknown as ReactionEvent;
  const { pollId, userId } = reactionEvent.data;
  switch (reactionEvent.type) {
    case 'ReactionSet':
      return { poll_id: pollId, user_id: userId, kind: reactionEvent.data.kind, revision: event.revision };
    case 'ReactionRemoved':
      return { poll_id: pollId, user_id: userId, kind: null, revision: event.revision };
    default:
      return assertNever(reactionEvent);
  }
}

export function evolveComment(row: CommentRow | null, event: RecordedEvent): CommentRow | null {
  if (applied(row, event)) return row;
  const commentEvent = event as unknown as CommentEvent;
  const { commentId, pollId } = commentEvent.data;
  switch (commentEvent.type) {
    case 'CommentPosted':
      return { comment_id: commentId, poll_id: pollId, deleted: false, revision: event.revision };
    case 'CommentDeleted':
      return { comment_id: commentId, poll_id: pollId, deleted: true, revision: event.revision };
    default:
      return assertNever(commentEvent);
  }
}

export function evolveFollow(row: FollowRow | null, event: RecordedEvent): FollowRow | null {
  if (applied(row, event)) return row;
  const followEvent = event as unknown as FollowEvent;
  const { followerId, followeeId, at } = followEvent.data;
  switch (followEvent.type) {
    case 'UserFollowed':
      return { follower_id: followerId, followee_id: followeeId, following: true, since: new Date(at), revision: event.revision };
    case 'UserUnfollowed':
      return { follower_id: followerId, followee_id: followeeId, following: false, since: row?.since ?? new Date(at), revision: event.revision };
    default:
      return assertNever(followEvent);
  }
}

/**
 * Rows of one kind a batch touches, given as they were before it (`before`, by key), evolved in log order: the
 * changed ones, each with its before.
 */
export function foldRows<Row>(
  before: ReadonlyMap<string, Row>,
  events: readonly RecordedEvent[],
  keyOfEvent: (event: RecordedEvent) => string,
  evolve: (row: Row | null, event: RecordedEvent) => Row | null,
): [before: Row | null, after: Row][] {
  const after = new Map<string, Row | null>(before);
  for (const event of events) {
    const key = keyOfEvent(event);
    after.set(key, evolve(after.get(key) ?? null, event));
  }
  const changed: [Row | null, Row][] = [];
  for (const [key, row] of after) if (row !== null && row !== before.get(key)) changed.push([before.get(key) ?? null, row]);
  return changed;
}
