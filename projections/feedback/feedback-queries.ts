// Reads of the feedback read model: one item, a filtered page (keyset, newest first), and stats.
import { sql, type Kysely } from 'kysely';
import type { FeedbackCategory, FeedbackStatus, Sentiment } from '../../domain/feedback/events.js';
import { FEEDBACK_CATEGORIES, FEEDBACK_STATUSES, SENTIMENTS } from '../../domain/feedback/events.js';
import { joinSource } from '../../domain/feedback/source.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import { lookupsPer } from '../coalesced-lookup.js';
import { decodeCursor, encodeCursor } from '../keyset-cursor.js';
import type { Schema } from '../schema.js';
import type { FeedbackRow } from './feedback-projection.js';

export type FeedbackView = Readonly<{
  id: string;
  text: string;
  rating: number | null;
  channel: string | null;
  appVersion: string | null;
  /** Deprecated, for clients that still read it: channel and app version, space-separated. */
  source: string | null;
  customerId: string | null;
  status: FeedbackStatus;
  note: string | null;
  category: FeedbackCategory | null;
  sentiment: Sentiment | null;
  confidence: number | null;
  aiProvider: string | null;
  revision: number;
  submittedAt: string;
  updatedAt: string;
}>;

const toView = (row: FeedbackRow): FeedbackView => ({
  id: row.id,
  text: row.text,
  rating: row.rating,
  channel: row.channel,
  appVersion: row.app_version,
  source: joinSource({ channel: row.channel, appVersion: row.app_version }),
  customerId: row.customer_id,
  status: row.status,
  note: row.note,
  category: row.category,
  sentiment: row.sentiment,
  confidence: row.confidence,
  aiProvider: row.ai_provider,
  revision: row.revision,
  submittedAt: row.submitted_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/**
 * One item by id. Reads outside a transaction that ask in the same turn share one query (see CoalescedLookup).
 * A read in a transaction goes at once, so it runs before the transaction's later statements, as asked; an id not
 * in the usual uuid form is read alone, so that the database's refusal of it fails no other read.
 */
export function getFeedback(db: Kysely<Schema>, id: string): Promise<FeedbackView | undefined> {
  if (db.isTransaction || !isUuid(id)) return feedbackById(db, id);
  // The database answers with lower-case ids: asked in any case, the key must match its answer.
  return feedbackLookup(db).load(id.toLowerCase());
}

async function feedbackById(db: Kysely<Schema>, id: string): Promise<FeedbackView | undefined> {
  const row = await db.selectFrom('feedback').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toView(row);
}

const feedbackLookup = lookupsPer((db: Kysely<Schema>) => async (ids: readonly string[]) => {
  if (ids.length === 1) {
    // Alone in its turn: the prepared statement, planned once.
    const view = await feedbackById(db, ids[0]!);
    return new Map(view === undefined ? [] : [[view.id, view]]);
  }
  // Planned at each run (see PLAN_PER_RUN in infrastructure/db): a plan made while the table was nearly empty
  // would go on reading it whole.
  const rows = await db
    .selectFrom('feedback')
    .modifyFront(sql`/* plan per run */`)
    .selectAll()
    .where('id', '=', sql<string>`any(${ids}::uuid[])`)
    .execute();
  return new Map(rows.map((row) => [row.id, toView(row)]));
});

export type FeedbackFilter = Readonly<{
  status?: FeedbackStatus;
  rating?: number;
  category?: FeedbackCategory;
  sentiment?: Sentiment;
  limit: number;
  cursor?: string;
}>;

export async function listFeedback(
  db: Kysely<Schema>,
  { status, rating, category, sentiment, limit, cursor }: FeedbackFilter,
): Promise<{ items: FeedbackView[]; nextCursor: string | null }> {
  let query = db.selectFrom('feedback').selectAll().orderBy('submitted_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
  if (status !== undefined) query = query.where('status', '=', status);
  if (rating !== undefined) query = query.where('rating', '=', rating);
  if (category !== undefined) query = query.where('category', '=', category);
  if (sentiment !== undefined) query = query.where('sentiment', '=', sentiment);
  if (cursor !== undefined) {
    const [afterAt, afterId] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('submitted_at', 'id'), '<', eb.tuple(afterAt, afterId)));
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last.submitted_at, last.id) : null;
  return { items: page.map(toView), nextCursor };
}


export type FeedbackStats = Readonly<{
  total: number;
  byStatus: Record<FeedbackStatus, number>;
  byRating: Record<'1' | '2' | '3' | '4' | '5' | 'unrated', number>;
  byCategory: Record<FeedbackCategory | 'uncategorized', number>;
  bySentiment: Record<Sentiment | 'uncategorized', number>;
  /** Days (UTC) of the window ending `today` that have feedback, newest first. */
  byDay: { day: string; count: number }[];
}>;

/** Reads the running totals the projection keeps; `today` is a UTC day, YYYY-MM-DD. */
export async function feedbackStats(db: Kysely<Schema>, { days, today }: { days: number; today: string }): Promise<FeedbackStats> {
  const firstDay = new Date(Date.parse(today) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const rows = await db
    .selectFrom('feedback_counts')
    .select(['dimension', 'key', 'count'])
    .where((eb) => eb.or([eb('dimension', '!=', 'day'), eb.and([eb('key', '>=', firstDay), eb('key', '<=', today)])]))
    .execute();
  const totals = (dimension: string, keys: readonly string[]): Record<string, number> => {
    const result = Object.fromEntries(keys.map((key) => [key, 0]));
    for (const row of rows) if (row.dimension === dimension && Object.hasOwn(result, row.key)) result[row.key] = Number(row.count);
    return result;
  };
  const byStatus = totals('status', FEEDBACK_STATUSES) as FeedbackStats['byStatus'];
  const total = Object.values(byStatus).reduce((sum, count) => sum + count, 0);
  const rest = (counted: Record<string, number>): number => total - Object.values(counted).reduce((sum, count) => sum + count, 0);
  const byRating = totals('rating', ['1', '2', '3', '4', '5']);
  const byCategory = totals('category', FEEDBACK_CATEGORIES);
  const bySentiment = totals('sentiment', SENTIMENTS);
  return {
    total,
    byStatus,
    byRating: { ...byRating, unrated: rest(byRating) } as FeedbackStats['byRating'],
    byCategory: { ...byCategory, uncategorized: rest(byCategory) } as FeedbackStats['byCategory'],
    bySentiment: { ...bySentiment, uncategorized: rest(bySentiment) } as FeedbackStats['bySentiment'],
    byDay: rows
      .filter((row) => row.dimension === 'day' && Number(row.count) > 0)
      .map((row) => ({ day: row.key, count: Number(row.count) }))
      .sort((a, b) => b.day.localeCompare(a.day)),
  };
}
