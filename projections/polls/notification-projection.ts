// Notifications: a processor that turns what others do into rows for the user it concerns (a follow, votes on
// their poll counted up in one unread row per poll, a comment, a reply, the close of a poll they voted in, a
// message), never for their own actions. It keeps its own copy of polls and votes (question, options, who voted
// what), so that it rebuilds alone. It runs in the enricher role: see Projection.role.
//
// Ids are those of the events that made the rows (the first vote of an unread votes row), or derived from them by
// name where one event notifies several users: a rebuild makes the same ids, which the read marks name.
import { sql, type Transaction } from 'kysely';
import { v5 as uuidv5 } from 'uuid';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { CommentPosted } from '../../domain/polls/comment-events.js';
import { NOTIFICATION_READ_EVENT_TYPES, type NotificationReadEvent } from '../../domain/polls/notification-read.js';
import type { PollClosed, PollCreated, PollOption } from '../../domain/polls/poll-events.js';
import type { MessageSent, UserFollowed } from '../../domain/polls/social-events.js';
import type { VoteCast, VoteRetracted } from '../../domain/polls/vote-events.js';
import { assertNever } from '../../domain/kernel/decider.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import type { NotificationType } from './social-schema.js';
import { freshEvents } from './stream-revisions.js';

type NotificationSourceEvent = UserFollowed | PollCreated | PollClosed | VoteCast | VoteRetracted | CommentPosted | MessageSent | NotificationReadEvent;

const HANDLES: readonly NotificationSourceEvent['type'][] = [
  'UserFollowed',
  'PollCreated',
  'PollClosed',
  'VoteCast',
  'VoteRetracted',
  'CommentPosted',
  'MessageSent',
  ...NOTIFICATION_READ_EVENT_TYPES,
];

/** The namespace of notification ids derived from event ids; changing it would change every derived id. */
const NOTIFICATION_NAMESPACE = '3d1f5b0e-8a47-5c21-9e6b-0f2a7d4c8e13';
/** The notification of a reply, made by the comment's event beside the one its poll's author may get. */
export const replyNotificationId = (commentEventId: string): string => uuidv5(`reply:${commentEventId}`, NOTIFICATION_NAMESPACE);
/** The votes notification of the votes applied before their poll was. */
export const votesBeforePollNotificationId = (pollCreatedEventId: string): string => uuidv5(`votes:${pollCreatedEventId}`, NOTIFICATION_NAMESPACE);
/** The notification of one voter of a poll that closed. */
export const pollClosedNotificationId = (closedEventId: string, voterId: string): string => uuidv5(`poll_closed:${closedEventId}:${voterId}`, NOTIFICATION_NAMESPACE);

/** How much of a comment or a message a notification shows. */
export const EXCERPT_LENGTH = 140;
const excerpt = (text: string): string => (text.length <= EXCERPT_LENGTH ? text : `${text.slice(0, EXCERPT_LENGTH - 1)}…`);

type NewNotification = Readonly<{ id: string; userId: string; type: NotificationType; at: string; pollId: string | null; data: Record<string, unknown> }>;

async function notify(tx: Transaction<Schema>, notification: NewNotification): Promise<void> {
  const { id, userId, type, at, pollId, data } = notification;
  await sql`
    insert into social_notifications (id, user_id, type, created_at, updated_at, read, poll_id, data)
    values (${id}, ${userId}, ${type}, ${at}::timestamptz, ${at}::timestamptz, false, ${pollId}, ${JSON.stringify(data)}::jsonb)
    on conflict (id) do nothing`.execute(tx);
}

async function pollOf(tx: Transaction<Schema>, pollId: string): Promise<{ author_id: string; question: string } | undefined> {
  return tx.selectFrom('social_polls').select(['author_id', 'question']).where('poll_id', '=', pollId).executeTakeFirst();
}

/**
 * Keeps what notifications need of the poll. Votes of it applied before it (on Kafka its stream and its votes' may
 * sit in different partitions) had no author to notify: they are counted now, into the author's votes row.
 */
async function pollCreated(tx: Transaction<Schema>, eventId: string, poll: PollCreated['data']): Promise<void> {
  const { pollId, authorId, question, options, createdAt } = poll;
  const inserted = await tx
    .insertInto('social_polls')
    .values({ poll_id: pollId, author_id: authorId, question, options: JSON.stringify(options), closed: false })
    .onConflict((oc) => oc.column('poll_id').doNothing())
    .returning('poll_id')
    .executeTakeFirst();
  if (inserted === undefined) return;
  await sql`
    insert into social_notifications (id, user_id, type, created_at, updated_at, read, poll_id, data)
    select ${votesBeforePollNotificationId(eventId)}, ${authorId}, 'votes', ${createdAt}::timestamptz, ${createdAt}::timestamptz, false, ${pollId},
           jsonb_build_object('pollId', ${pollId}::text, 'question', ${question}::text, 'count', count(*))
    from social_poll_votes where poll_id = ${pollId} and active and voter_id <> ${authorId}
    having count(*) > 0`.execute(tx);
}

/** A vote by someone else counts into the author's unread votes row of the poll, made by the first such vote. */
async function countVote(tx: Transaction<Schema>, voteEventId: string, vote: VoteCast['data']): Promise<void> {
  const poll = await pollOf(tx, vote.pollId);
  if (poll === undefined || poll.author_id === vote.voterId) return;
  const data = JSON.stringify({ pollId: vote.pollId, question: poll.question, count: 1 });
  await sql`
    insert into social_notifications as n (id, user_id, type, created_at, updated_at, read, poll_id, data)
    values (${voteEventId}, ${poll.author_id}, 'votes', ${vote.castAt}::timestamptz, ${vote.castAt}::timestamptz, false, ${vote.pollId}, ${data}::jsonb)
    on conflict (user_id, poll_id) where type = 'votes' and not read do update
      set data = jsonb_set(n.data, '{count}', to_jsonb((n.data->>'count')::integer + 1)), updated_at = greatest(n.updated_at, excluded.updated_at)`.execute(tx);
}

/** Voters (their votes standing when it closed) hear of the close, with the winning option(s), except whoever closed it. */
async function pollClosed(tx: Transaction<Schema>, eventId: string, closed: PollClosed['data']): Promise<void> {
  const { rows } = await sql<{ question: string; options: PollOption[] }>`
    update social_polls set closed = true where poll_id = ${closed.pollId} and not closed returning question, options`.execute(tx);
  const poll = rows[0];
  if (poll === undefined) return; // unknown, or closed already
  const votes = await tx.selectFrom('social_poll_votes').select(['voter_id', 'option_id']).where('poll_id', '=', closed.pollId).where('active', '=', true).execute();
  const tally = new Map<string, number>(poll.options.map((option) => [option.id, 0]));
  for (const vote of votes) tally.set(vote.option_id, (tally.get(vote.option_id) ?? 0) + 1);
  const most = Math.max(0, ...tally.values());
  const winningOptions = most === 0 ? [] : poll.options.filter((option) => tally.get(option.id) === most).map((option) => ({ id: option.id, text: option.text, votes: most }));
  for (const vote of votes) {
    if (vote.voter_id === closed.closedBy) continue;
    await notify(tx, {
      id: pollClosedNotificationId(eventId, vote.voter_id),
      userId: vote.voter_id,
      type: 'poll_closed',
      at: closed.closedAt,
      pollId: closed.pollId,
      data: { pollId: closed.pollId, question: poll.question, reason: closed.reason, totalVotes: votes.length, winningOptions, yourOptionId: vote.option_id },
    });
  }
}

async function commentPosted(tx: Transaction<Schema>, eventId: string, comment: CommentPosted['data']): Promise<void> {
  const { commentId, pollId, pollAuthorId, authorId, parentId, repliedToAuthorId, text, postedAt } = comment;
  const question = (await pollOf(tx, pollId))?.question ?? null;
  const data = { pollId, question, commentId, parentId, authorId, excerpt: excerpt(text) };
  // The author replied to hears of a reply; the poll's author, of any other comment (once, when they are both).
  if (repliedToAuthorId !== null && repliedToAuthorId !== authorId) {
    await notify(tx, { id: replyNotificationId(eventId), userId: repliedToAuthorId, type: 'reply', at: postedAt, pollId, data });
  }
  if (pollAuthorId !== authorId && pollAuthorId !== repliedToAuthorId) {
    await notify(tx, { id: eventId, userId: pollAuthorId, type: 'comment', at: postedAt, pollId, data });
  }
}

async function applyOne(tx: Transaction<Schema>, recorded: RecordedEvent): Promise<void> {
  const event = recorded as unknown as NotificationSourceEvent;
  switch (event.type) {
    case 'UserFollowed': {
      const { followerId, followeeId, at } = event.data;
      if (followerId !== followeeId) await notify(tx, { id: recorded.eventId, userId: followeeId, type: 'follow', at, pollId: null, data: { followerId } });
      return;
    }
    case 'PollCreated':
      return pollCreated(tx, recorded.eventId, event.data);
    case 'PollClosed':
      return pollClosed(tx, recorded.eventId, event.data);
    case 'VoteCast': {
      const { pollId, voterId, optionId } = event.data;
      await tx
        .insertInto('social_poll_votes')
        .values({ poll_id: pollId, voter_id: voterId, option_id: optionId, active: true })
        .onConflict((oc) => oc.columns(['poll_id', 'voter_id']).doUpdateSet({ option_id: optionId, active: true }))
        .execute();
      return countVote(tx, recorded.eventId, event.data);
    }
    case 'VoteRetracted':
      await tx.updateTable('social_poll_votes').set({ active: false }).where('poll_id', '=', event.data.pollId).where('voter_id', '=', event.data.voterId).execute();
      return;
    case 'CommentPosted':
      return commentPosted(tx, recorded.eventId, event.data);
    case 'MessageSent': {
      const { messageId, from, to, text, sentAt } = event.data;
      if (from !== to) await notify(tx, { id: recorded.eventId, userId: to, type: 'message', at: sentAt, pollId: null, data: { messageId, from, excerpt: excerpt(text) } });
      return;
    }
    case 'NotificationRead':
      await tx.updateTable('social_notifications').set({ read: true }).where('id', '=', event.data.notificationId).where('user_id', '=', event.data.userId).execute();
      return;
    case 'AllNotificationsRead':
      await tx
        .updateTable('social_notifications')
        .set({ read: true })
        .where('user_id', '=', event.data.userId)
        .where('read', '=', false)
        .where('updated_at', '<=', new Date(event.data.upTo))
        .execute();
      return;
    default:
      assertNever(event);
  }
}

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  for (const event of await freshEvents(tx, 'social_notification_streams', events)) await applyOne(tx, event);
}

export const notificationProjection: Projection = {
  name: 'polls-notifications',
  version: 1,
  role: 'enricher',
  categories: ['follow', 'poll', 'vote', 'comment', 'message', 'notificationread'],
  handles: HANDLES,
  tables: ['social_notifications', 'social_polls', 'social_poll_votes', 'social_notification_streams'],
  apply,
};
