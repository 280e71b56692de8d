// Direct messages and conversations: every message once, and per user and counterpart the latest message and how
// many of the counterpart's messages came after the user's read mark. Unread counts are counted again from the
// messages whenever a message or a mark arrives, so their order (they come from different streams) does not matter.
import { sql, type Transaction } from 'kysely';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { ConversationRead, MessageSent } from '../../domain/polls/social-events.js';
import { assertNever } from '../../domain/kernel/decider.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import { freshEvents } from './stream-revisions.js';

type ConversationSourceEvent = MessageSent | ConversationRead;

async function recountUnread(tx: Transaction<Schema>, ownerId: string, counterpartId: string): Promise<void> {
  await sql`
    update social_conversations c
    set unread = (
      select count(*) from social_messages m
      where m.recipient_id = c.owner_id and m.sender_id = c.counterpart_id and (c.read_up_to is null or m.sent_at > c.read_up_to))
    where c.owner_id = ${ownerId} and c.counterpart_id = ${counterpartId}`.execute(tx);
}

/** The conversation of `ownerId` with `counterpartId` ends with this message, unless a later one is there already. */
async function keepLatest(tx: Transaction<Schema>, ownerId: string, counterpartId: string, message: MessageSent['data']): Promise<void> {
  await sql`
    insert into social_conversations as c (owner_id, counterpart_id, last_message_id, last_sender_id, last_text, last_sent_at, read_up_to, unread)
    values (${ownerId}, ${counterpartId}, ${message.messageId}, ${message.from}, ${message.text}, ${message.sentAt}::timestamptz, null, 0)
    on conflict (owner_id, counterpart_id) do update
      set last_message_id = excluded.last_message_id, last_sender_id = excluded.last_sender_id, last_text = excluded.last_text, last_sent_at = excluded.last_sent_at
      where c.last_sent_at is null or (c.last_sent_at, c.last_message_id) < (excluded.last_sent_at, excluded.last_message_id)`.execute(tx);
}

async function applyOne(tx: Transaction<Schema>, recorded: RecordedEvent): Promise<void> {
  const event = recorded as unknown as ConversationSourceEvent;
  switch (event.type) {
    case 'MessageSent': {
      const { messageId, from, to, text, sentAt } = event.data;
      const [low, high] = from < to ? [from, to] : [to, from];
      await tx
        .insertInto('social_messages')
        .values({ id: messageId, sender_id: from, recipient_id: to, pair_low: low, pair_high: high, text, sent_at: new Date(sentAt) })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      await keepLatest(tx, from, to, event.data);
      await keepLatest(tx, to, from, event.data);
      await recountUnread(tx, to, from);
      return;
    }
    case 'ConversationRead': {
      const { readerId, counterpartId, upTo } = event.data;
      await sql`
        insert into social_conversations as c (owner_id, counterpart_id, last_message_id, last_sender_id, last_text, last_sent_at, read_up_to, unread)
        values (${readerId}, ${counterpartId}, null, null, null, null, ${upTo}::timestamptz, 0)
        on conflict (owner_id, counterpart_id) do update set read_up_to = greatest(c.read_up_to, excluded.read_up_to)`.execute(tx);
      await recountUnread(tx, readerId, counterpartId);
      return;
    }
    default:
      assertNever(event);
  }
}

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  for (const event of await freshEvents(tx, 'social_conversation_streams', events)) await applyOne(tx, event);
}

export const conversationProjection: Projection = {
  name: 'polls-conversations',
  version: 1,
  categories: ['message', 'conversationread'],
  handles: ['MessageSent', 'ConversationRead'] satisfies ConversationSourceEvent['type'][],
  tables: ['social_messages', 'social_conversations', 'social_conversation_streams'],
  apply,
};
