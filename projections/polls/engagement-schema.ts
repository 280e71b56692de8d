// Tables of the polls context's engagement read models: comment threads (with tombstones), and the feed (its own
// copies of polls and follows, per-follower feed rows written on fan-out, and per-author follower counts that
// decide whether an author's polls are fanned out on write or merged in on read). See the README's "Feed" section.
import { sql, type Migration } from 'kysely';
import type { PollVisibility } from '../../domain/polls/poll-events.js';
import type { Json } from '../schema.js';

/** One row per comment stream. A deleted comment keeps its place in its thread and loses its text and authors. */
export interface PollCommentThreadsTable {
  comment_id: string;
  poll_id: string;
  /** The top-level comment it hangs under; null for a top-level comment. */
  parent_id: string | null;
  author_id: string | null;
  replied_to_author_id: string | null;
  text: string | null;
  deleted: boolean;
  posted_at: Date;
  deleted_at: Date | null;
  revision: number;
}

/** The feed's copy of each poll (what a feed item shows, and what fan-in and follows read). */
export interface PollFeedPollsTable {
  poll_id: string;
  author_id: string;
  question: string;
  options: Json;
  visibility: PollVisibility;
  closes_at: Date | null;
  status: 'open' | 'closed';
  closed_at: Date | null;
  created_at: Date;
  revision: number;
}

/** The feed's copy of each follow stream. */
export interface PollFeedFollowsTable {
  follower_id: string;
  followee_id: string;
  following: boolean;
  revision: number;
}

/** Followers per author; `fan_in` once they passed the fan-out limit (it stays set). */
export interface PollFeedAuthorsTable {
  author_id: string;
  followers: number;
  fan_in: boolean;
}

/** A poll in one reader's feed: their own polls, and those fanned out to them (newest kept, up to the cap). */
export interface PollFeedItemsTable {
  owner_id: string;
  poll_id: string;
  author_id: string;
  created_at: Date;
}

declare module '../schema.js' {
  interface Schema {
    poll_comment_threads: PollCommentThreadsTable;
    poll_feed_polls: PollFeedPollsTable;
    poll_feed_follows: PollFeedFollowsTable;
    poll_feed_authors: PollFeedAuthorsTable;
    poll_feed_items: PollFeedItemsTable;
  }
}

const pollsEngagement: Migration = {
  async up(db) {
    await db.schema
      .createTable('poll_comment_threads')
      .addColumn('comment_id', 'text', (c) => c.primaryKey())
      .addColumn('poll_id', 'uuid', (c) => c.notNull())
      .addColumn('parent_id', 'text')
      .addColumn('author_id', 'text')
      .addColumn('replied_to_author_id', 'text')
      .addColumn('text', 'text')
      .addColumn('deleted', 'boolean', (c) => c.notNull())
      .addColumn('posted_at', 'timestamptz', (c) => c.notNull())
      .addColumn('deleted_at', 'timestamptz')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();
    // Pages of a poll's top-level comments, oldest first (replies, however many, are not in the way); the replies of a page's comments.
    await db.schema.createIndex('poll_comment_threads_poll').on('poll_comment_threads').columns(['poll_id', 'posted_at', 'comment_id']).where(sql.ref('parent_id'), 'is', null).execute();
    await db.schema.createIndex('poll_comment_threads_parent').on('poll_comment_threads').columns(['parent_id', 'posted_at', 'comment_id']).execute();

    await db.schema
      .createTable('poll_feed_polls')
      .addColumn('poll_id', 'uuid', (c) => c.primaryKey())
      .addColumn('author_id', 'text', (c) => c.notNull())
      .addColumn('question', 'text', (c) => c.notNull())
      .addColumn('options', 'jsonb', (c) => c.notNull())
      .addColumn('visibility', 'text', (c) => c.notNull())
      .addColumn('closes_at', 'timestamptz')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'timestamptz')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();
    // An author's newest polls: copied on follow, merged in on read for fan-in authors.
    await db.schema.createIndex('poll_feed_polls_author').on('poll_feed_polls').columns(['author_id', 'created_at desc', 'poll_id desc']).execute();
    await db.schema
      .createTable('poll_feed_follows')
      .addColumn('follower_id', 'text', (c) => c.notNull())
      .addColumn('followee_id', 'text', (c) => c.notNull())
      .addColumn('following', 'boolean', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('poll_feed_follows_pkey', ['follower_id', 'followee_id'])
      .execute();
    // Fan-out reads an author's followers.
    await db.schema.createIndex('poll_feed_follows_followee').on('poll_feed_follows').columns(['followee_id', 'follower_id']).execute();
    await db.schema
      .createTable('poll_feed_authors')
      .addColumn('author_id', 'text', (c) => c.primaryKey())
      .addColumn('followers', 'integer', (c) => c.notNull())
      .addColumn('fan_in', 'boolean', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('poll_feed_items')
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('poll_id', 'uuid', (c) => c.notNull())
      .addColumn('author_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('poll_feed_items_pkey', ['owner_id', 'poll_id'])
      .execute();
    // A reader's feed page, newest first; an unfollow removes one author's rows from one reader's feed.
    await db.schema.createIndex('poll_feed_items_owner_created').on('poll_feed_items').columns(['owner_id', 'created_at desc', 'poll_id desc']).execute();
    await db.schema.createIndex('poll_feed_items_owner_author').on('poll_feed_items').columns(['owner_id', 'author_id']).execute();
  },
  async down(db) {
    for (const table of ['poll_feed_items', 'poll_feed_authors', 'poll_feed_follows', 'poll_feed_polls', 'poll_comment_threads']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};

export const pollsEngagementMigrations: Readonly<Record<string, Migration>> = {
  '0019_polls_engagement': pollsEngagement,
};
