// Tables of the social read models of polls (profiles, conversations, notifications) and their migration. Each
// projection keeps its own copy of what it needs from other streams (poll questions, options and votes for the
// notifications), so that it rebuilds alone, whatever other read models exist.
import { sql, type Migration } from 'kysely';
import type { Json } from '../schema.js';

/** The last revision of each stream a projection applied: what makes applying an event twice change nothing. */
export interface StreamRevisionsTable {
  stream_id: string;
  revision: number;
}

export interface SocialProfilesTable {
  user_id: string;
  /** Whether identity's UserRegistered has been applied: a profile of nobody (counts that came first) is not shown. */
  registered: boolean;
  registered_name: string | null;
  /** Set by ProfileUpdated; null: the registered name shows. */
  display_name: string | null;
  bio: string | null;
  avatar_url: string | null;
  followers: number;
  following: number;
  polls: number;
}

export interface SocialMessagesTable {
  id: string;
  sender_id: string;
  recipient_id: string;
  /** The two participants in order, whoever sent: one index serves the conversation both ways. */
  pair_low: string;
  pair_high: string;
  text: string;
  sent_at: Date;
}

/** One row per user and counterpart: the conversation as that user sees it. */
export interface SocialConversationsTable {
  owner_id: string;
  counterpart_id: string;
  last_message_id: string | null;
  last_sender_id: string | null;
  last_text: string | null;
  last_sent_at: Date | null;
  read_up_to: Date | null;
  /** Messages from the counterpart sent after read_up_to. */
  unread: number;
}

export const NOTIFICATION_TYPES = ['follow', 'votes', 'comment', 'reply', 'poll_closed', 'message'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export interface SocialNotificationsTable {
  id: string;
  user_id: string;
  type: NotificationType;
  created_at: Date;
  /** When it last changed (a vote counted into it): lists run newest first by this. */
  updated_at: Date;
  read: boolean;
  /** The poll of votes, comment, reply and poll_closed notifications; votes of one poll count up in one unread row. */
  poll_id: string | null;
  data: Json;
}

export interface SocialPollsTable {
  poll_id: string;
  author_id: string;
  question: string;
  /** [{ id, text }] in the poll's order. */
  options: Json;
  /** The PollClosed that closed it, and what it said; null while open. */
  closed_event_id: string | null;
  closed_by: string | null;
  close_reason: string | null;
  closed_at: Date | null;
}

export interface SocialPollVotesTable {
  poll_id: string;
  voter_id: string;
  option_id: string;
  /** False once retracted. */
  active: boolean;
  cast_at: Date;
}

/**
 * Read marks as the notifications processor keeps them, so that a notification applied after a mark that covers it
 * (from another partition) is read as it would have been in log order: a conversation's (counterpart_id the other
 * user) and read-all's (counterpart_id '').
 */
export interface SocialReadMarksTable {
  user_id: string;
  counterpart_id: string;
  up_to: Date;
}

declare module '../schema.js' {
  interface Schema {
    social_profiles: SocialProfilesTable;
    social_profile_streams: StreamRevisionsTable;
    social_messages: SocialMessagesTable;
    social_conversations: SocialConversationsTable;
    social_conversation_streams: StreamRevisionsTable;
    social_notifications: SocialNotificationsTable;
    social_polls: SocialPollsTable;
    social_poll_votes: SocialPollVotesTable;
    social_read_marks: SocialReadMarksTable;
    social_notification_streams: StreamRevisionsTable;
  }
}

const streamRevisions = (name: string) => sql`create table ${sql.table(name)} (stream_id text primary key, revision integer not null)`;

const pollsSocial: Migration = {
  async up(db) {
    await streamRevisions('social_profile_streams').execute(db);
    await streamRevisions('social_conversation_streams').execute(db);
    await streamRevisions('social_notification_streams').execute(db);
    await db.schema
      .createTable('social_profiles')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('registered', 'boolean', (c) => c.notNull())
      .addColumn('registered_name', 'text')
      .addColumn('display_name', 'text')
      .addColumn('bio', 'text')
      .addColumn('avatar_url', 'text')
      .addColumn('followers', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('following', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('polls', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('social_messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('sender_id', 'text', (c) => c.notNull())
      .addColumn('recipient_id', 'text', (c) => c.notNull())
      .addColumn('pair_low', 'text', (c) => c.notNull())
      .addColumn('pair_high', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('social_messages_pair').on('social_messages').columns(['pair_low', 'pair_high', 'sent_at desc', 'id desc']).execute();
    // Unread counts: what one sender sent one recipient after a moment.
    await db.schema.createIndex('social_messages_unread').on('social_messages').columns(['recipient_id', 'sender_id', 'sent_at']).execute();
    await db.schema
      .createTable('social_conversations')
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('counterpart_id', 'text', (c) => c.notNull())
      .addColumn('last_message_id', 'text')
      .addColumn('last_sender_id', 'text')
      .addColumn('last_text', 'text')
      .addColumn('last_sent_at', 'timestamptz')
      .addColumn('read_up_to', 'timestamptz')
      .addColumn('unread', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('social_conversations_pk', ['owner_id', 'counterpart_id'])
      .execute();
    await db.schema.createIndex('social_conversations_latest').on('social_conversations').columns(['owner_id', 'last_sent_at desc', 'counterpart_id desc']).execute();
    await db.schema
      .createTable('social_notifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('read', 'boolean', (c) => c.notNull())
      .addColumn('poll_id', 'text')
      .addColumn('data', 'jsonb', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('social_notifications_latest').on('social_notifications').columns(['user_id', 'updated_at desc', 'id desc']).execute();
    await db.schema
      .createIndex('social_notifications_unread')
      .on('social_notifications')
      .columns(['user_id', 'updated_at desc', 'id desc'])
      .where(sql<boolean>`not read`)
      .execute();
    // At most one unread votes notification per poll: the one new votes count up in.
    await db.schema
      .createIndex('social_notifications_open_votes')
      .unique()
      .on('social_notifications')
      .columns(['user_id', 'poll_id'])
      .where(sql<boolean>`type = 'votes' and not read`)
      .execute();
    await db.schema
      .createTable('social_polls')
      .addColumn('poll_id', 'text', (c) => c.primaryKey())
      .addColumn('author_id', 'text', (c) => c.notNull())
      .addColumn('question', 'text', (c) => c.notNull())
      .addColumn('options', 'jsonb', (c) => c.notNull())
      .addColumn('closed_event_id', 'text')
      .addColumn('closed_by', 'text')
      .addColumn('close_reason', 'text')
      .addColumn('closed_at', 'timestamptz')
      .execute();
    await db.schema
      .createTable('social_poll_votes')
      .addColumn('poll_id', 'text', (c) => c.notNull())
      .addColumn('voter_id', 'text', (c) => c.notNull())
      .addColumn('option_id', 'text', (c) => c.notNull())
      .addColumn('active', 'boolean', (c) => c.notNull())
      .addColumn('cast_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('social_poll_votes_pk', ['poll_id', 'voter_id'])
      .execute();
    await db.schema
      .createTable('social_read_marks')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('counterpart_id', 'text', (c) => c.notNull())
      .addColumn('up_to', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('social_read_marks_pk', ['user_id', 'counterpart_id'])
      .execute();
  },
  async down(db) {
    for (const table of [
      'social_read_marks',
      'social_poll_votes',
      'social_polls',
      'social_notifications',
      'social_conversations',
      'social_messages',
      'social_profiles',
      'social_notification_streams',
      'social_conversation_streams',
      'social_profile_streams',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};

export const socialMigrations: Readonly<Record<string, Migration>> = { '0018_polls_social': pollsSocial };
