// The conversations read model: messages, and per user and counterpart the latest message and the unread count,
// the same when every event is applied again, whichever of a message and a read mark comes first.
import test from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { conversationReadStreamId, messageStreamId, type ConversationRead, type MessageSent } from '../../domain/polls/social-events.js';
import { conversationProjection } from '../../projections/polls/conversation-projection.js';
import type { SocialConversationsTable, SocialMessagesTable } from '../../projections/polls/social-schema.js';
import { ProjectionSpecification, recordedEventLog } from '../support/projection-specification.js';

const spec = ProjectionSpecification(conversationProjection, {
  social_messages: ['id'],
  social_conversations: ['owner_id', 'counterpart_id'],
  social_conversation_streams: ['stream_id'],
});

const ann = '01a2041a-9df6-7589-a81b-b54b10957501';
const bob = '01a2041a-9df6-7589-a81b-b54b10957502';
const log = recordedEventLog();

const send = (from: string, to: string, text: string, sentAt: string, messageId = uuidv7()) =>
  log.record(messageStreamId(messageId), { type: 'MessageSent', data: { messageId, from, to, text, sentAt } } satisfies MessageSent);
const read = (readerId: string, counterpartId: string, upTo: string) =>
  log.record(conversationReadStreamId(readerId, counterpartId), { type: 'ConversationRead', data: { readerId, counterpartId, upTo, readAt: upTo } } satisfies ConversationRead);

const messageRow = (event: ReturnType<typeof send>): SocialMessagesTable => {
  const { messageId, from, to, text, sentAt } = event.data;
  return { id: messageId, sender_id: from, recipient_id: to, pair_low: from < to ? from : to, pair_high: from < to ? to : from, text, sent_at: new Date(sentAt) };
};
const conversation = (owner: string, counterpart: string, last: ReturnType<typeof send> | null, unread: number, readUpTo: string | null = null): SocialConversationsTable => ({
  owner_id: owner,
  counterpart_id: counterpart,
  last_message_id: last?.data.messageId ?? null,
  last_sender_id: last?.data.from ?? null,
  last_text: last?.data.text ?? null,
  last_sent_at: last === null ? null : new Date(last.data.sentAt),
  read_up_to: readUpTo === null ? null : new Date(readUpTo),
  unread,
});

test('given messages both ways, then both sides see the latest, and the recipient counts what is unread', async (t) => {
  const first = send(ann, bob, 'Hi', '2026-12-01T10:00:00.000Z');
  const second = send(ann, bob, 'Still there?', '2026-12-01T10:05:00.000Z');
  const reply = send(bob, ann, 'Yes', '2026-12-01T10:06:00.000Z');
  await spec.given([first, second]).when([reply]).then(t, {
    social_messages: [first, second, reply].map(messageRow).sort((a, b) => a.id.localeCompare(b.id)),
    social_conversations: [conversation(ann, bob, reply, 1), conversation(bob, ann, reply, 2)],
  });
});

test('given a read mark, then what came before it is read, and what comes after counts again', async (t) => {
  const first = send(ann, bob, 'One', '2026-12-01T10:00:00.000Z');
  const second = send(ann, bob, 'Two', '2026-12-01T10:01:00.000Z');
  const mark = read(bob, ann, '2026-12-01T10:02:00.000Z');
  const third = send(ann, bob, 'Three', '2026-12-01T10:03:00.000Z');
  await spec.given([first, second, mark]).when([third]).then(t, {
    social_conversations: [conversation(ann, bob, third, 0), conversation(bob, ann, third, 1, '2026-12-01T10:02:00.000Z')],
  });
});

test('given a late message (older than the latest) and a mark before any message, then the latest stays and the counts hold', async (t) => {
  const mark = read(bob, ann, '2026-12-01T10:02:00.000Z');
  const latest = send(ann, bob, 'Latest', '2026-12-01T10:05:00.000Z');
  const older = send(ann, bob, 'Older, arrived late', '2026-12-01T10:01:00.000Z');
  const olderMark = read(bob, ann, '2026-12-01T09:00:00.000Z');
  await spec.given([mark]).when([latest, older, olderMark]).then(t, {
    social_conversations: [conversation(ann, bob, latest, 0), conversation(bob, ann, latest, 1, '2026-12-01T10:02:00.000Z')],
  });
});
