// The polls read models' tables and their migration: polls, each voter's and reactor's current choice (kept per
// stream, with the stream's revision, so a redelivered event changes nothing), the running tallies they move,
// comments (for counts) and follows.
import { sql, type Migration } from 'kysely';
import type { PollVisibility } from '../../domain/polls/poll-events.js';
import type { ReactionKind } from '../../domain/polls/reaction-events.js';
import type { Json } from '../schema.js';

export interface PollsTable {
  id: string;
  author_id: string;
  question: string;
  /** [{ id, text }] in the order given. */
  options: Json;
  closes_at: Date | null;
  visibility: PollVisibility;
  /** Whether its PollClosed is applied; a poll past closes_at reads closed before that (see the queries). */
  status: 'open' | 'closed';
  closed_at: Date | null;
  revision: number;
  created_at: Date;
}

/** One row per vote stream (poll and voter): the option voted for, or null once retracted. */
export interface PollVotesTable {
  poll_id: string;
  voter_id: string;
  option_id: string | null;
  revision: number;
}

/** Votes per option, moved by each vote row's before and after; rows at zero are removed. */
export interface PollTalliesTable {
  poll_id: string;
  option_id: string;
  votes: number;
}

/** One row per reaction stream (poll and user): the reaction kind, or null once removed. */
export interface PollReactionsTable {
  poll_id: string;
  user_id: string;
  kind: ReactionKind | null;
  revision: number;
}

export interface PollReactionCountsTable {
  poll_id: string;
  kind: ReactionKind;
  count: number;
}

/** One row per comment stream; deleted comments stay, as their threads show tombstones, but are not counted. */
export interface PollCommentsTable {
  comment_id: string;
  poll_id: string;
  deleted: boolean;
  revision: number;
}

/** One row per follow stream; `following` false once unfollowed. `since`: when the current follow began. */
export interface PollFollowsTable {
  follower_id: string;
  followee_id: string;
  following: boolean;
  since: Date;
  revision: number;
}

/**
 * Where in the log a poll's results last moved (its poll or vote streams): the id of its live frames. `position_order`
 * is the position as numbers (every store's positions are canonical decimals, `p` or `commit:prepare`), so that the
 * latest wins whatever order Kafka delivers the streams in, and a rebuild ends with the same row.
 */
export interface PollLiveTable {
  poll_id: string;
  position: string;
  position_order: string[];
}

declare module '../schema.js' {
  interface Schema {
    poll_live: PollLiveTable;
    polls: PollsTable;
    poll_votes: PollVotesTable;
    poll_tallies: PollTalliesTable;
    poll_reactions: PollReactionsTable;
    poll_reaction_counts: PollReactionCountsTable;
    poll_comments: PollCommentsTable;
    poll_follows: PollFollowsTable;
  }
}

const pollsReadModels: Migration = {
  async up(db) {
    await db.schema
      .createTable('polls')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('author_id', 'text', (c) => c.notNull())
      .addColumn('question', 'text', (c) => c.notNull())
      .addColumn('options', 'jsonb', (c) => c.notNull())
      .addColumn('closes_at', 'timestamptz')
      .addColumn('visibility', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'timestamptz')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .execute();
    // Keyset pagination, newest first, of all polls or one author's.
    await db.schema.createIndex('polls_created').on('polls').columns(['created_at desc', 'id desc']).execute();
    await db.schema.createIndex('polls_author_created').on('polls').columns(['author_id', 'created_at desc', 'id desc']).execute();
    // The expiry schedule looks for open polls whose closes_at has passed.
    await sql`create index polls_open_closes_at on polls (closes_at) where status = 'open' and closes_at is not null`.execute(db);

    await db.schema
      .createTable('poll_votes')
      .addColumn('poll_id', 'uuid', (c) => c.notNull())
      .addColumn('voter_id', 'text', (c) => c.notNull())
      .addColumn('option_id', 'text')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('poll_votes_pkey', ['poll_id', 'voter_id'])
      .execute();
    await db.schema
      .createTable('poll_tallies')
      .addColumn('poll_id', 'uuid', (c) => c.notNull())
      .addColumn('option_id', 'text', (c) => c.notNull())
      .addColumn('votes', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('poll_tallies_pkey', ['poll_id', 'option_id'])
      .execute();
    await db.schema
      .createTable('poll_live')
      .addColumn('poll_id', 'uuid', (c) => c.primaryKey())
      .addColumn('position', 'text', (c) => c.notNull())
      .addColumn('position_order', sql`numeric[]`, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('poll_reactions')
      .addColumn('poll_id', 'uuid', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('poll_reactions_pkey', ['poll_id', 'user_id'])
      .execute();
    await db.schema
      .createTable('poll_reaction_counts')
      .addColumn('poll_id', 'uuid', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('poll_reaction_counts_pkey', ['poll_id', 'kind'])
      .execute();
    await db.schema
      .createTable('poll_comments')
      .addColumn('comment_id', 'text', (c) => c.primaryKey())
      .addColumn('poll_id', 'uuid', (c) => c.notNull())
      .addColumn('deleted', 'boolean', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('poll_comments_poll').on('poll_comments').columns(['poll_id']).execute();
    await db.schema
      .createTable('poll_follows')
      .addColumn('follower_id', 'text', (c) => c.notNull())
      .addColumn('followee_id', 'text', (c) => c.notNull())
      .addColumn('following', 'boolean', (c) => c.notNull())
      .addColumn('since', 'timestamptz', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('poll_follows_pkey', ['follower_id', 'followee_id'])
      .execute();
    // Pages of a user's followers and of whom they follow, newest follow first.
    await db.schema.createIndex('poll_follows_followee').on('poll_follows').columns(['followee_id', 'since desc', 'follower_id desc']).execute();
    await db.schema.createIndex('poll_follows_follower').on('poll_follows').columns(['follower_id', 'since desc', 'followee_id desc']).execute();
  },
  async down(db) {
    for (const table of ['poll_follows', 'poll_comments', 'poll_reaction_counts', 'poll_reactions', 'poll_live', 'poll_tallies', 'poll_votes', 'polls']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};

export const pollsMigrations: Readonly<Record<string, Migration>> = {
  '0017_polls': pollsReadModels,
};
