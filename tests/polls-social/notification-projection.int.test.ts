// The notifications processor: given recorded events, the rows of social_notifications, and the same rows when
// every event is applied again (votes count up exactly once each).
import test from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { commentStreamId, type CommentPosted } from '../../domain/polls/comment-events.js';
import { notificationReadStreamId, type AllNotificationsRead, type NotificationRead } from '../../domain/polls/notification-read.js';
import { pollStreamId, type PollClosed, type PollCreated } from '../../domain/polls/poll-events.js';
import { conversationReadStreamId, followStreamId, messageStreamId, type ConversationRead, type MessageSent, type UserFollowed } from '../../domain/polls/social-events.js';
import { voteStreamId, type VoteCast, type VoteRetracted } from '../../domain/polls/vote-events.js';
import { notificationProjection, pollClosedNotificationId, replyNotificationId, votesNotificationId } from '../../projections/polls/notification-projection.js';
import type { NotificationType } from '../../projections/polls/social-schema.js';
import { ProjectionSpecification, recordedEventLog } from '../support/projection-specification.js';

const spec = ProjectionSpecification(notificationProjection, {
  social_notifications: ['user_id', 'type', 'created_at'],
  social_polls: ['poll_id'],
  social_poll_votes: ['poll_id', 'voter_id'],
  social_read_marks: ['user_id', 'counterpart_id'],
  social_notification_streams: ['stream_id'],
});

const ann = '01a2041a-9df6-7589-a81b-b54b10957501';
const bob = '01a2041a-9df6-7589-a81b-b54b10957502';
const cat = '01a2041a-9df6-7589-a81b-b54b10957503';
const dan = '01a2041a-9df6-7589-a81b-b54b10957504';
const at = (minute: number): string => `2026-12-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
const log = recordedEventLog();
const pollId = '01a2041a-9df6-7589-a81b-b54b10957600';
const options = [
  { id: 'o1', text: 'Tea' },
  { id: 'o2', text: 'Coffee' },
];

const pollCreated = (authorId = ann, id = pollId) =>
  log.record(pollStreamId(id), {
    type: 'PollCreated',
    data: { pollId: id, authorId, question: 'Tea or coffee?', options, closesAt: null, visibility: 'public', createdAt: at(0) },
  } satisfies PollCreated);
const pollClosed = (closedBy: string | null, minute: number, id = pollId) =>
  log.record(pollStreamId(id), { type: 'PollClosed', data: { pollId: id, closedBy, reason: closedBy === null ? 'expired' : 'closed', closedAt: at(minute) } } satisfies PollClosed);
const voted = (voterId: string, optionId: string, minute: number, id = pollId) =>
  log.record(voteStreamId(id, voterId), { type: 'VoteCast', data: { pollId: id, voterId, optionId, castAt: at(minute) } } satisfies VoteCast);
const retracted = (voterId: string, optionId: string, minute: number) =>
  log.record(voteStreamId(pollId, voterId), { type: 'VoteRetracted', data: { pollId, voterId, optionId, retractedAt: at(minute) } } satisfies VoteRetracted);
const followed = (followerId: string, followeeId: string, minute: number) =>
  log.record(followStreamId(followerId, followeeId), { type: 'UserFollowed', data: { followerId, followeeId, at: at(minute) } } satisfies UserFollowed);
const commented = (authorId: string, repliedToAuthorId: string | null, minute: number, pollAuthorId = ann) => {
  const commentId = uuidv7();
  return log.record(commentStreamId(commentId), {
    type: 'CommentPosted',
    data: { commentId, pollId, pollAuthorId, authorId, parentId: repliedToAuthorId === null ? null : uuidv7(), repliedToAuthorId, text: 'Coffee, obviously', postedAt: at(minute) },
  } satisfies CommentPosted);
};
const messaged = (from: string, to: string, minute: number) => {
  const messageId = uuidv7();
  return log.record(messageStreamId(messageId), { type: 'MessageSent', data: { messageId, from, to, text: 'Hi', sentAt: at(minute) } } satisfies MessageSent);
};
const readOne = (userId: string, notificationId: string, minute: number) =>
  log.record(notificationReadStreamId(userId), { type: 'NotificationRead', data: { userId, notificationId, readAt: at(minute) } } satisfies NotificationRead);
const readAll = (userId: string, minute: number) =>
  log.record(notificationReadStreamId(userId), { type: 'AllNotificationsRead', data: { userId, upTo: at(minute), readAt: at(minute) } } satisfies AllNotificationsRead);

type Row = { id: string; user_id: string; type: NotificationType; created_at: Date; updated_at: Date; read: boolean; poll_id: string | null; data: unknown };
const row = (id: string, userId: string, type: NotificationType, created: number, data: unknown, rest: Partial<Row> = {}): Row => ({
  id,
  user_id: userId,
  type,
  created_at: new Date(at(created)),
  updated_at: new Date(at(created)),
  read: false,
  poll_id: null,
  data,
  ...rest,
});
/** In the order the specification reads them: by user, type and creation. */
const byKey = (rows: Row[]): Row[] =>
  rows.sort((a, b) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : a.created_at.getTime() - b.created_at.getTime()));

test('given votes by others on a poll, then its author has one unread row counting them; their own vote is not counted', async (t) => {
  const created = pollCreated();
  const first = voted(bob, 'o1', 1);
  await spec.given([created, first, voted(ann, 'o2', 2)]).when([voted(cat, 'o2', 3), voted(dan, 'o2', 4)]).then(t, {
    social_notifications: [row(votesNotificationId(ann, pollId, 0), ann, 'votes', 1, { pollId, question: 'Tea or coffee?', count: 3 }, { poll_id: pollId, updated_at: new Date(at(4)) })],
  });
});

test('given votes applied before their poll (another partition), then the poll counts them into one row when it arrives', async (t) => {
  const early = [voted(bob, 'o1', 1), voted(ann, 'o2', 2), voted(cat, 'o1', 3), retracted(cat, 'o1', 4)];
  const created = pollCreated();
  const later = voted(dan, 'o2', 6);
  await spec.given(early).when([created, later]).then(t, {
    social_notifications: [
      row(votesNotificationId(ann, pollId, 0), ann, 'votes', 1, { pollId, question: 'Tea or coffee?', count: 2 }, { poll_id: pollId, updated_at: new Date(at(6)) }),
    ],
  });
});

test('given the votes row is read, then the next votes start a new unread row', async (t) => {
  const created = pollCreated();
  const first = voted(bob, 'o1', 1);
  const after = voted(cat, 'o1', 3);
  await spec.given([created, first, readOne(ann, votesNotificationId(ann, pollId, 0), 2)]).when([after, voted(dan, 'o2', 4)]).then(t, {
    social_notifications: byKey([
      row(votesNotificationId(ann, pollId, 0), ann, 'votes', 1, { pollId, question: 'Tea or coffee?', count: 1 }, { poll_id: pollId, read: true }),
      row(votesNotificationId(ann, pollId, 1), ann, 'votes', 3, { pollId, question: 'Tea or coffee?', count: 2 }, { poll_id: pollId, updated_at: new Date(at(4)) }),
    ]),
  });
});

test('given a poll closes, then those whose votes stand hear of it with the winner, except whoever closed it', async (t) => {
  // Recorded in log order: a poll's stream is closed after it was created.
  const history = [pollCreated(), voted(bob, 'o2', 1), voted(cat, 'o2', 2), voted(dan, 'o1', 3), voted(ann, 'o1', 4)];
  const closed = pollClosed(ann, 10);
  const data = { pollId, question: 'Tea or coffee?', reason: 'closed', totalVotes: 3, winningOptions: [{ id: 'o2', text: 'Coffee', votes: 2 }] };
  await spec
    .given(history)
    .when([retracted(dan, 'o1', 5), closed])
    .then(t, {
      social_notifications: byKey([
        row(votesNotificationId(ann, pollId, 0), ann, 'votes', 1, { pollId, question: 'Tea or coffee?', count: 3 }, { poll_id: pollId, updated_at: new Date(at(3)) }),
        row(pollClosedNotificationId(closed.eventId, bob), bob, 'poll_closed', 10, { ...data, yourOptionId: 'o2' }, { poll_id: pollId }),
        row(pollClosedNotificationId(closed.eventId, cat), cat, 'poll_closed', 10, { ...data, yourOptionId: 'o2' }, { poll_id: pollId }),
      ]),
      social_polls: [{ poll_id: pollId, author_id: ann, question: 'Tea or coffee?', options, closed_event_id: closed.eventId, closed_by: ann, close_reason: 'closed', closed_at: new Date(at(10)) }],
    });
});

test('given a poll that expires with a tie, then every voter hears of it with both winners; without votes nobody does', async (t) => {
  const other = '01a2041a-9df6-7589-a81b-b54b10957601';
  const history = [pollCreated(), pollCreated(ann, other), voted(bob, 'o1', 1), voted(ann, 'o2', 2)];
  const closed = pollClosed(null, 10);
  const data = {
    pollId,
    question: 'Tea or coffee?',
    reason: 'expired',
    totalVotes: 2,
    winningOptions: [
      { id: 'o1', text: 'Tea', votes: 1 },
      { id: 'o2', text: 'Coffee', votes: 1 },
    ],
  };
  await spec.given(history).when([closed, pollClosed(null, 11, other)]).then(t, {
    social_notifications: byKey([
      row(pollClosedNotificationId(closed.eventId, ann), ann, 'poll_closed', 10, { ...data, yourOptionId: 'o2' }, { poll_id: pollId }),
      row(votesNotificationId(ann, pollId, 0), ann, 'votes', 1, { pollId, question: 'Tea or coffee?', count: 1 }, { poll_id: pollId }),
      row(pollClosedNotificationId(closed.eventId, bob), bob, 'poll_closed', 10, { ...data, yourOptionId: 'o1' }, { poll_id: pollId }),
    ]),
  });
});

test('given a vote that arrives after its poll closed (cast before, from another partition), then its voter hears of the close too, and every voter gets the totals with it', async (t) => {
  const history = [pollCreated(), voted(bob, 'o1', 1)];
  const closed = pollClosed(null, 10);
  const late = voted(cat, 'o2', 2);
  // What a replay of the log in order gives: both votes stand when the poll closes.
  const told = { pollId, question: 'Tea or coffee?', reason: 'expired', totalVotes: 2, winningOptions: [{ id: 'o1', text: 'Tea', votes: 1 }, { id: 'o2', text: 'Coffee', votes: 1 }] };
  await spec.given(history).when([closed, late]).then(t, {
    social_notifications: byKey([
      row(votesNotificationId(ann, pollId, 0), ann, 'votes', 1, { pollId, question: 'Tea or coffee?', count: 2 }, { poll_id: pollId, updated_at: new Date(at(2)) }),
      row(pollClosedNotificationId(closed.eventId, bob), bob, 'poll_closed', 10, { ...told, yourOptionId: 'o1' }, { poll_id: pollId }),
      row(pollClosedNotificationId(closed.eventId, cat), cat, 'poll_closed', 10, { ...told, yourOptionId: 'o2' }, { poll_id: pollId }),
    ]),
  });
});

test('given a retraction that arrives after its poll closed (made before), then its voter hears nothing of the close and the others get the totals without it', async (t) => {
  const history = [pollCreated(), voted(bob, 'o1', 1), voted(cat, 'o2', 2)];
  const closed = pollClosed(null, 10);
  const told = { pollId, question: 'Tea or coffee?', reason: 'expired', totalVotes: 1, winningOptions: [{ id: 'o1', text: 'Tea', votes: 1 }], yourOptionId: 'o1' };
  await spec.given(history).when([closed, retracted(cat, 'o2', 3)]).then(t, {
    social_notifications: byKey([
      row(votesNotificationId(ann, pollId, 0), ann, 'votes', 1, { pollId, question: 'Tea or coffee?', count: 2 }, { poll_id: pollId, updated_at: new Date(at(2)) }),
      row(pollClosedNotificationId(closed.eventId, bob), bob, 'poll_closed', 10, told, { poll_id: pollId }),
    ]),
  });
});

test('given follows, comments, replies and messages, then the user concerned hears of each, never of their own', async (t) => {
  const follow = followed(bob, ann, 1);
  const comment = commented(bob, null, 2);
  const reply = commented(cat, bob, 3);
  const replyToAuthor = commented(bob, ann, 4);
  const message = messaged(cat, dan, 5);
  const commentData = (event: typeof comment) => ({
    pollId,
    question: 'Tea or coffee?',
    commentId: event.data.commentId,
    parentId: event.data.parentId,
    authorId: event.data.authorId,
    excerpt: 'Coffee, obviously',
  });
  await spec
    .given([pollCreated(), follow, followed(ann, ann, 1), comment, commented(ann, null, 2), commented(ann, ann, 2)])
    .when([reply, replyToAuthor, message])
    .then(t, {
      social_notifications: byKey([
        row(follow.eventId, ann, 'follow', 1, { followerId: bob }),
        row(comment.eventId, ann, 'comment', 2, commentData(comment), { poll_id: pollId }),
        row(reply.eventId, ann, 'comment', 3, commentData(reply), { poll_id: pollId }),
        row(replyNotificationId(replyToAuthor.eventId), ann, 'reply', 4, commentData(replyToAuthor), { poll_id: pollId }),
        row(replyNotificationId(reply.eventId), bob, 'reply', 3, commentData(reply), { poll_id: pollId }),
        row(message.eventId, dan, 'message', 5, { messageId: message.data.messageId, from: cat, excerpt: 'Hi' }),
      ]),
    });
});

test('given a comment applied before its poll, then the poll names its question when it arrives', async (t) => {
  const comment = commented(bob, null, 2);
  const created = pollCreated();
  const data = { pollId, question: 'Tea or coffee?', commentId: comment.data.commentId, parentId: null, authorId: bob, excerpt: 'Coffee, obviously' };
  await spec.given([comment]).when([created]).then(t, { social_notifications: [row(comment.eventId, ann, 'comment', 2, data, { poll_id: pollId })] });
});

test('given a conversation read, then the notifications of its messages up to the mark are read, and no others', async (t) => {
  const [first, other, later] = [messaged(bob, ann, 1), messaged(cat, ann, 2), messaged(bob, ann, 5)];
  const mark = log.record(conversationReadStreamId(ann, bob), { type: 'ConversationRead', data: { readerId: ann, counterpartId: bob, upTo: at(3), readAt: at(3) } } satisfies ConversationRead);
  const message = (event: typeof first, rest: Partial<Row> = {}) => row(event.eventId, ann, 'message', Number(event.data.sentAt.slice(14, 16)), { messageId: event.data.messageId, from: event.data.from, excerpt: 'Hi' }, rest);
  await spec.given([first, other, mark]).when([later]).then(t, { social_notifications: [message(first, { read: true }), message(other), message(later)] });
});

test('given read marks applied before what they cover (from other partitions), then those notifications come read', async (t) => {
  const conversationMark = log.record(conversationReadStreamId(ann, bob), { type: 'ConversationRead', data: { readerId: ann, counterpartId: bob, upTo: at(3), readAt: at(3) } } satisfies ConversationRead);
  const [seen, fromCat, unseen] = [messaged(bob, ann, 1), messaged(cat, ann, 2), messaged(bob, ann, 5)];
  const follow = followed(dan, cat, 4);
  const message = (event: typeof seen, rest: Partial<Row> = {}) => row(event.eventId, ann, 'message', Number(event.data.sentAt.slice(14, 16)), { messageId: event.data.messageId, from: event.data.from, excerpt: 'Hi' }, rest);
  await spec.given([conversationMark, readAll(cat, 6)]).when([seen, fromCat, unseen, follow]).then(t, {
    social_notifications: [message(seen, { read: true }), message(fromCat), message(unseen), row(follow.eventId, cat, 'follow', 4, { followerId: dan }, { read: true })],
    social_read_marks: [
      { user_id: ann, counterpart_id: bob, up_to: new Date(at(3)) },
      { user_id: cat, counterpart_id: '', up_to: new Date(at(6)) },
    ],
  });
});

test('given read-all, then what changed up to it is read, only for that user, and later notifications are not', async (t) => {
  const early = followed(bob, ann, 1);
  const bobs = followed(ann, bob, 1);
  const late = followed(cat, ann, 5);
  await spec.given([early, bobs, late, readAll(ann, 3)]).when([readOne(bob, early.eventId, 4)]).then(t, {
    social_notifications: byKey([
      row(early.eventId, ann, 'follow', 1, { followerId: bob }, { read: true }),
      row(late.eventId, ann, 'follow', 5, { followerId: cat }),
      row(bobs.eventId, bob, 'follow', 1, { followerId: ann }),
    ]),
  });
});
