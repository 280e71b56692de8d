// Notifications: a processor that turns what others do into rows for the user it concerns (a follow, votes on
// their poll counted up in one unread row per poll, a comment, a reply, the close of a poll they voted in, a
// message), never for their own actions. It keeps its own copy of polls and votes (question, options, who voted
// what), so that it rebuilds alone. It runs in the enricher role: see Projection.role.
//
// Ids are those of the events that made the rows, or derived by name (from the event, and the user where one event
// notifies several; from the poll and a count for votes rows): whatever order partitions deliver in, and in a
// rebuild, the same ids, which the read marks name.
import { sql, type Selectable, type Transaction } from 'kysely';
import { v5 as uuidv5 } from 'uuid';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { CommentPosted } from '../../domain/polls/comment-events.js';
import { NOTIFICATION_READ_EVENT_TYPES, type NotificationReadEvent } from '../../domain/polls/notification-read.js';
import type { PollClosed, PollCreated, PollOption } from '../../domain/polls/poll-events.js';
import type { ConversationRead, MessageSent, UserFollowed } from '../../domain/polls/social-events.js';
import type { VoteCast, VoteRetracted } from '../../domain/polls/vote-events.js';
import { assertNever } from '../../domain/kernel/decider.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import type { NotificationType, SocialPollsTable } from './social-schema.js';
import { freshEvents } from './stream-revisions.js';

type NotificationSourceEvent =
  | UserFollowed
  | PollCreated
  | PollClosed
  | VoteCast
  | VoteRetracted
  | CommentPosted
  | MessageSent
  | ConversationRead
  | NotificationReadEvent;

const HANDLES: readonly NotificationSourceEvent['type'][] = [
  'UserFollowed',
  'PollCreated',
  'PollClosed',
  'VoteCast',
  'VoteRetracted',
  'CommentPosted',
  'MessageSent',
  'ConversationRead',
  ...NOTIFICATION_READ_EVENT_TYPES,
];

/** The namespace of notification ids derived from event ids; changing it would change every derived id. */
const NOTIFICATION_NAMESPACE = '3d1f5b0e-8a47-5c21-9e6b-0f2a7d4c8e13';
/** The notification of a reply, made by the comment's event beside the one its poll's author may get. */
export const replyNotificationId = (commentEventId: string): string => uuidv5(`reply:${commentEventId}`, NOTIFICATION_NAMESPACE);
/** The `generation`-th votes notification of a poll's author (the ones before it were read). */
export const votesNotificationId = (authorId: string, pollId: string, generation: number): string => uuidv5(`votes:${authorId}:${pollId}:${generation}`, NOTIFICATION_NAMESPACE);
/** The notification of one voter of a poll that closed. */
export const pollClosedNotificationId = (closedEventId: string, voterId: string): string => uuidv5(`poll_closed:${closedEventId}:${voterId}`, NOTIFICATION_NAMESPACE);

/** How much of a comment or a message a notification shows. */
export const EXCERPT_LENGTH = 140;
const excerpt = (text: string): string => (text.length <= EXCERPT_LENGTH ? text : `${text.slice(0, EXCERPT_LENGTH - 1)}…`);

type NewNotification = Readonly<{ id: string; userId: string; type: NotificationType; at: string; pollId: string | null; data: Record<string, unknown> }>;

/**
 * A new notification, read already when a mark applied before it covers it (read-all, or its conversation's).
 * `refresh`: one that exists already takes the new data (and keeps whether it was read).
 */
async function notify(tx: Transaction<Schema>, notification: NewNotification, refresh = false): Promise<void> {
  const { id, userId, type, at, pollId, data } = notification;
  const conversation = type === 'message' ? String(data.from) : null;
  await sql`
    insert into social_notifications (id, user_id, type, created_at, updated_at, read, poll_id, data)
    select ${id}, ${userId}, ${type}, ${at}::timestamptz, ${at}::timestamptz,
           exists (select 1 from social_read_marks m where m.user_id = ${userId} and m.counterpart_id in ('', ${conversation}) and m.up_to >= ${at}::timestamptz),
           ${pollId}, ${JSON.stringify(data)}::jsonb
    on conflict (id) do ${refresh ? sql`update set data = excluded.data` : sql`nothing`}`.execute(tx);
}

/** Keeps a read mark, never moving it back. */
async function markRead(tx: Transaction<Schema>, userId: string, counterpartId: string, upTo: string): Promise<void> {
  await sql`
    insert into social_read_marks as m (user_id, counterpart_id, up_to) values (${userId}, ${counterpartId}, ${upTo}::timestamptz)
    on conflict (user_id, counterpart_id) do update set up_to = greatest(m.up_to, excluded.up_to)`.execute(tx);
}

async function pollOf(tx: Transaction<Schema>, pollId: string): Promise<Selectable<SocialPollsTable> | undefined> {
  return tx.selectFrom('social_polls').selectAll().where('poll_id', '=', pollId).executeTakeFirst();
}

/**
 * Counts `votes` more votes, cast between `first` and `last`, into the author's unread votes row of the poll, made
 * when there is none. Its id names the poll and how many votes rows the author had of it before: the same id
 * whichever order the poll and its votes arrive in, so that a read mark names the same row in a rebuild.
 */
async function countVotes(tx: Transaction<Schema>, poll: Selectable<SocialPollsTable>, votes: number, first: Date, last: Date): Promise<void> {
  const open = await tx
    .selectFrom('social_notifications')
    .select('id')
    .where('user_id', '=', poll.author_id)
    .where('poll_id', '=', poll.poll_id)
    .where('type', '=', 'votes')
    .where('read', '=', false)
    .executeTakeFirst();
  if (open !== undefined) {
    await sql`
      update social_notifications
      set data = jsonb_set(data, '{count}', to_jsonb((data->>'count')::integer + ${votes}::integer)),
          created_at = least(created_at, ${first.toISOString()}::timestamptz), updated_at = greatest(updated_at, ${last.toISOString()}::timestamptz)
      where id = ${open.id}`.execute(tx);
    return;
  }
  const earlier = await tx
    .selectFrom('social_notifications')
    .select(sql<string>`count(*)`.as('rows'))
    .where('user_id', '=', poll.author_id)
    .where('poll_id', '=', poll.poll_id)
    .where('type', '=', 'votes')
    .executeTakeFirstOrThrow();
  const data = JSON.stringify({ pollId: poll.poll_id, question: poll.question, count: votes });
  await sql`
    insert into social_notifications (id, user_id, type, created_at, updated_at, read, poll_id, data)
    values (${votesNotificationId(poll.author_id, poll.poll_id, Number(earlier.rows))}, ${poll.author_id}, 'votes', ${first.toISOString()}::timestamptz,
            ${last.toISOString()}::timestamptz, false, ${poll.poll_id}, ${data}::jsonb)`.execute(tx);
}

/**
 * Keeps what notifications need of the poll. Votes and comments of it applied before it (on Kafka its stream and
 * theirs may sit in different partitions) are counted now, and named its question.
 */
async function pollCreated(tx: Transaction<Schema>, created: PollCreated['data']): Promise<void> {
  const { pollId, authorId, question, options } = created;
  const poll = await tx
    .insertInto('social_polls')
    .values({ poll_id: pollId, author_id: authorId, question, options: JSON.stringify(options), closed_event_id: null, closed_by: null, close_reason: null, closed_at: null })
    .onConflict((oc) => oc.column('poll_id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (poll === undefined) return;
  // Comments applied before it could not name its question.
  await sql`
    update social_notifications set data = jsonb_set(data, '{question}', to_jsonb(${question}::text))
    where poll_id = ${pollId} and data->'question' = 'null'::jsonb`.execute(tx);
  const early = await tx
    .selectFrom('social_poll_votes')
    .select([sql<string>`count(*)`.as('votes'), sql<Date | null>`min(cast_at)`.as('first'), sql<Date | null>`max(cast_at)`.as('last')])
    .where('poll_id', '=', pollId)
    .where('active', '=', true)
    .where('voter_id', '<>', authorId)
    .executeTakeFirstOrThrow();
  if (Number(early.votes) > 0) await countVotes(tx, poll, Number(early.votes), new Date(early.first!), new Date(early.last!));
}

/**
 * What the voters of a closed poll are told: the winning option(s) by the votes standing, and their own. Every voter
 * standing is told (again, with fresh totals, when a vote cast or retracted before the close is applied after it:
 * on Kafka a vote's stream and its poll's may sit in different partitions), so the notifications end as a replay of
 * the log in order gives them; a voter whose vote no longer stands hears nothing of it.
 */
async function tellOfClose(tx: Transaction<Schema>, poll: Selectable<SocialPollsTable>): Promise<void> {
  const votes = await tx.selectFrom('social_poll_votes').select(['voter_id', 'option_id']).where('poll_id', '=', poll.poll_id).where('active', '=', true).execute();
  const options = poll.options as PollOption[];
  const tally = new Map<string, number>(options.map((option) => [option.id, 0]));
  for (const vote of votes) tally.set(vote.option_id, (tally.get(vote.option_id) ?? 0) + 1);
  const most = Math.max(0, ...tally.values());
  const winningOptions = most === 0 ? [] : options.filter((option) => tally.get(option.id) === most).map((option) => ({ id: option.id, text: option.text, votes: most }));
  for (const voter of votes) {
    if (voter.voter_id === poll.closed_by) continue;
    const data = { pollId: poll.poll_id, question: poll.question, reason: poll.close_reason, totalVotes: votes.length, winningOptions, yourOptionId: voter.option_id };
    const id = pollClosedNotificationId(poll.closed_event_id!, voter.voter_id);
    await notify(tx, { id, userId: voter.voter_id, type: 'poll_closed', at: poll.closed_at!.toISOString(), pollId: poll.poll_id, data }, true);
  }
}

/** Voters (their votes standing when it closed) hear of the close, with the winning option(s), except whoever closed it. */
async function pollClosed(tx: Transaction<Schema>, eventId: string, closed: PollClosed['data']): Promise<void> {
  const poll = await tx
    .updateTable('social_polls')
    .set({ closed_event_id: eventId, closed_by: closed.closedBy, close_reason: closed.reason, closed_at: new Date(closed.closedAt) })
    .where('poll_id', '=', closed.pollId)
    .where('closed_event_id', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (poll === undefined) return; // unknown (it is in the same stream: never on its way), or closed already
  await tellOfClose(tx, poll);
}

/**
 * A vote counts into its poll's votes row. A vote applied after its poll closed was cast before (votes after the
 * close are refused, bar one racing a manual close) and arrived late from another partition: its voter hears of the
 * close now, and the other voters' notifications take the totals with it.
 */
async function voteCast(tx: Transaction<Schema>, vote: VoteCast['data']): Promise<void> {
  const { pollId, voterId, optionId, castAt } = vote;
  await tx
    .insertInto('social_poll_votes')
    .values({ poll_id: pollId, voter_id: voterId, option_id: optionId, active: true, cast_at: new Date(castAt) })
    .onConflict((oc) => oc.columns(['poll_id', 'voter_id']).doUpdateSet({ option_id: optionId, active: true, cast_at: new Date(castAt) }))
    .execute();
  const poll = await pollOf(tx, pollId);
  if (poll === undefined) return; // counted when the poll arrives
  if (poll.author_id !== voterId) await countVotes(tx, poll, 1, new Date(castAt), new Date(castAt));
  if (poll.closed_event_id !== null) await tellOfClose(tx, poll);
}

/** A retraction applied after its poll closed was made before it: the voter hears nothing of the close, the others fresh totals. */
async function voteRetracted(tx: Transaction<Schema>, retracted: VoteRetracted['data']): Promise<void> {
  const { pollId, voterId } = retracted;
  await tx.updateTable('social_poll_votes').set({ active: false }).where('poll_id', '=', pollId).where('voter_id', '=', voterId).execute();
  const poll = await pollOf(tx, pollId);
  if (poll === undefined || poll.closed_event_id === null) return;
  await tx.deleteFrom('social_notifications').where('id', '=', pollClosedNotificationId(poll.closed_event_id, voterId)).execute();
  await tellOfClose(tx, poll);
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
      return pollCreated(tx, event.data);
    case 'PollClosed':
      return pollClosed(tx, recorded.eventId, event.data);
    case 'VoteCast':
      return voteCast(tx, event.data);
    case 'VoteRetracted':
      return voteRetracted(tx, event.data);
    case 'CommentPosted':
      return commentPosted(tx, recorded.eventId, event.data);
    case 'MessageSent': {
      const { messageId, from, to, text, sentAt } = event.data;
      if (from !== to) await notify(tx, { id: recorded.eventId, userId: to, type: 'message', at: sentAt, pollId: null, data: { messageId, from, excerpt: excerpt(text) } });
      return;
    }
    case 'ConversationRead': {
      // Reading a conversation reads the notifications of its messages too.
      const { readerId, counterpartId, upTo } = event.data;
      await markRead(tx, readerId, counterpartId, upTo);
      await sql`
        update social_notifications set read = true
        where user_id = ${readerId} and type = 'message' and not read and data->>'from' = ${counterpartId} and created_at <= ${upTo}::timestamptz`.execute(tx);
      return;
    }
    case 'NotificationRead':
      await tx.updateTable('social_notifications').set({ read: true }).where('id', '=', event.data.notificationId).where('user_id', '=', event.data.userId).execute();
      return;
    case 'AllNotificationsRead':
      await markRead(tx, event.data.userId, '', event.data.upTo);
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
  categories: ['follow', 'poll', 'vote', 'comment', 'message', 'conversationread', 'notificationread'],
  handles: HANDLES,
  tables: ['social_notifications', 'social_polls', 'social_poll_votes', 'social_read_marks', 'social_notification_streams'],
  apply,
};
