// Reads of the social read models: profiles, conversations and a conversation's messages, notifications. Lists are
// keyset pages, newest first, with opaque cursors.
import { sql, type Kysely } from 'kysely';
import { decodeCursor, encodeCursor } from '../keyset-cursor.js';
import type { Schema } from '../schema.js';
import type { NotificationType } from './social-schema.js';

export type ProfileView = Readonly<{
  userId: string;
  displayName: string;
  bio: string | null;
  avatarUrl: string | null;
  followers: number;
  following: number;
  polls: number;
}>;

/** The profile of a registered user, or undefined. */
export async function getProfile(db: Kysely<Schema>, userId: string): Promise<ProfileView | undefined> {
  const row = await db.selectFrom('social_profiles').selectAll().where('user_id', '=', userId).where('registered', '=', true).executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    userId: row.user_id,
    displayName: row.display_name ?? row.registered_name ?? '',
    bio: row.bio,
    avatarUrl: row.avatar_url,
    followers: Number(row.followers),
    following: Number(row.following),
    polls: Number(row.polls),
  };
}

export type MessageView = Readonly<{ id: string; from: string; to: string; text: string; sentAt: string }>;
export type ConversationView = Readonly<{ userId: string; lastMessage: MessageView; unreadCount: number }>;
export type Page<T> = Readonly<{ items: T[]; nextCursor: string | null }>;
type PageRequest = Readonly<{ limit: number; cursor?: string }>;

/** The user's conversations, the one with the latest message first. */
export async function listConversations(db: Kysely<Schema>, ownerId: string, { limit, cursor }: PageRequest): Promise<Page<ConversationView>> {
  let query = db
    .selectFrom('social_conversations')
    .selectAll()
    .where('owner_id', '=', ownerId)
    .where('last_sent_at', 'is not', null)
    .orderBy('last_sent_at', 'desc')
    .orderBy('counterpart_id', 'desc')
    .limit(limit + 1);
  if (cursor !== undefined) {
    const [afterAt, afterId] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('last_sent_at', 'counterpart_id'), '<', eb.tuple(afterAt, afterId)));
  }
  const rows = await query.execute();
  return page(rows, limit, (row) => [row.last_sent_at!, row.counterpart_id], (row) => ({
    userId: row.counterpart_id,
    lastMessage: {
      id: row.last_message_id!,
      from: row.last_sender_id!,
      to: row.last_sender_id === row.owner_id ? row.counterpart_id : row.owner_id,
      text: row.last_text!,
      sentAt: row.last_sent_at!.toISOString(),
    },
    unreadCount: Number(row.unread),
  }));
}

/** The messages between two users, newest first. */
export async function listMessages(db: Kysely<Schema>, userId: string, counterpartId: string, { limit, cursor }: PageRequest): Promise<Page<MessageView>> {
  const [low, high] = userId < counterpartId ? [userId, counterpartId] : [counterpartId, userId];
  let query = db
    .selectFrom('social_messages')
    .selectAll()
    .where('pair_low', '=', low)
    .where('pair_high', '=', high)
    .orderBy('sent_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (cursor !== undefined) {
    const [afterAt, afterId] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('sent_at', 'id'), '<', eb.tuple(afterAt, afterId)));
  }
  const rows = await query.execute();
  return page(rows, limit, (row) => [row.sent_at, row.id], (row) => ({ id: row.id, from: row.sender_id, to: row.recipient_id, text: row.text, sentAt: row.sent_at.toISOString() }));
}

export type NotificationView = Readonly<{ id: string; type: NotificationType; createdAt: string; updatedAt: string; read: boolean; data: unknown }>;

/** The user's notifications (only the unread ones, or only the read ones, when asked), last changed first. */
export async function listNotifications(
  db: Kysely<Schema>,
  userId: string,
  { unread, limit, cursor }: PageRequest & Readonly<{ unread?: boolean }>,
): Promise<Page<NotificationView> & Readonly<{ unreadCount: number }>> {
  let query = db
    .selectFrom('social_notifications')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (unread !== undefined) query = query.where('read', '=', !unread);
  if (cursor !== undefined) {
    const [afterAt, afterId] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('updated_at', 'id'), '<', eb.tuple(afterAt, afterId)));
  }
  const [rows, counted] = await Promise.all([
    query.execute(),
    db.selectFrom('social_notifications').select(sql<string>`count(*)`.as('count')).where('user_id', '=', userId).where('read', '=', false).executeTakeFirstOrThrow(),
  ]);
  const found = page(rows, limit, (row) => [row.updated_at, row.id], (row) => ({
    id: row.id,
    type: row.type,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    read: row.read,
    data: row.data,
  }));
  return { items: found.items, unreadCount: Number(counted.count), nextCursor: found.nextCursor };
}

/** Whether a notification is the user's, and read: null when it is not theirs or does not exist. */
export async function notificationOf(db: Kysely<Schema>, userId: string, notificationId: string): Promise<{ read: boolean } | null> {
  const row = await db.selectFrom('social_notifications').select('read').where('id', '=', notificationId).where('user_id', '=', userId).executeTakeFirst();
  return row ?? null;
}

function page<Row, View>(rows: readonly Row[], limit: number, keyOf: (row: Row) => [Date, string], toView: (row: Row) => View): Page<View> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(toView), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(...keyOf(last)) : null };
}

