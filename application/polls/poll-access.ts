// Who may see a poll, read from the event store (exact, never behind like a read model): the poll's own stream,
// and the tiny stream of one follow. A poll someone may not see is answered as if it did not exist (404).
import { followDecider } from '../../domain/polls/follow-commands.js';
import { evolve, initialState, type PollDetails } from '../../domain/polls/poll.js';
import { pollStreamId, type PollEvent } from '../../domain/polls/poll-events.js';
import { followStreamId } from '../../domain/polls/social-events.js';
import { NotFound } from '../../domain/kernel/errors.js';
import { foldStream } from '../kernel/fold-stream.js';
import type { Actor, EventStore } from '../ports/event-store.js';

export type PollAccessDependencies = Readonly<{ store: EventStore }>;

/** A poll as its stream tells it. `closed`: its PollClosed is written (a poll past closesAt may still lack it: see isClosedAt). */
export type PollRecord = PollDetails &
  Readonly<{
    status: 'open' | 'closed';
    closed: boolean;
    /** The poll stream's revision. */
    revision: number;
  }>;

/** The poll, folded from its stream through the poll decider's evolve; null when it does not exist. */
export async function readPoll(deps: PollAccessDependencies, pollId: string): Promise<PollRecord | null> {
  const { state, revision } = await foldStream<ReturnType<typeof initialState>, PollEvent>(deps.store, { evolve, initialState }, pollStreamId(pollId));
  if (state.status === 'initial') return null;
  const { pollId: id, authorId, question, options, closesAt, visibility, createdAt, status } = state;
  return { pollId: id, authorId, question, options, closesAt, visibility, createdAt, status, closed: status === 'closed', revision };
}

/** Whether `followerId` follows `followeeId` now, from their follow stream. */
export async function isFollowing(deps: PollAccessDependencies, followerId: string, followeeId: string): Promise<boolean> {
  const { state } = await foldStream(deps.store, followDecider, followStreamId(followerId, followeeId));
  return state.following;
}

export type Viewer = Pick<Actor, 'sub' | 'roles'>;

const isAdmin = (actor: Viewer): boolean => actor.roles?.includes('admin') === true;

/**
 * Public polls: anyone signed in. Followers-only polls: their author, the author's followers, and admins.
 * `following`: whether the actor follows the poll's author (only read for a followers-only poll).
 */
export function canSeePoll(actor: Viewer, poll: Pick<PollDetails, 'authorId' | 'visibility'>, following: boolean): boolean {
  if (poll.visibility === 'public') return true;
  return actor.sub === poll.authorId || isAdmin(actor) || following;
}

/** Whether the actor may see the poll, reading their follow of its author only when that matters. */
export async function pollVisibleTo(deps: PollAccessDependencies, actor: Viewer, poll: Pick<PollDetails, 'authorId' | 'visibility'>): Promise<boolean> {
  if (canSeePoll(actor, poll, false)) return true;
  return canSeePoll(actor, poll, await isFollowing(deps, actor.sub, poll.authorId));
}

/** The poll if it exists and the actor may see it; POLL.NOT_FOUND otherwise, the same answer for both. */
export async function readVisiblePoll(deps: PollAccessDependencies, actor: Viewer, pollId: string): Promise<PollRecord> {
  const poll = await readPoll(deps, pollId);
  if (poll === null || !(await pollVisibleTo(deps, actor, poll))) throw new NotFound('POLL.NOT_FOUND', `Poll ${pollId} does not exist`);
  return poll;
}
