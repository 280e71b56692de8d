// Reads of the feedback read model: one item, a filtered page (keyset, newest first), and stats.
import { sql, type Kysely } from 'kysely';
import { ValidationError } from '../../domain/kernel/errors.js';
import type { FeedbackStatus } from '../../domain/feedback/events.js';
import type { Schema } from '../../infrastructure/db/schema.js';
import type { FeedbackRow } from './feedback-projection.js';

export type FeedbackView = Readonly<{
  id: string;
  text: string;
  rating: number | null;
  source: string | null;
  customerId: string | null;
  status: FeedbackStatus;
  note: string | null;
  revision: number;
  submittedAt: string;
  updatedAt: string;
}>;

const toView = (row: FeedbackRow): FeedbackView => ({
  id: row.id,
  text: row.text,
  rating: row.rating,
  source: row.source,
  customerId: row.customer_id,
  status: row.status,
  note: row.note,
  revision: row.revision,
  submittedAt: row.submitted_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export async function getFeedback(db: Kysely<Schema>, id: string): Promise<FeedbackView | undefined> {
  const row = await db.selectFrom('feedback').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toView(row);
}

export type FeedbackFilter = Readonly<{ status?: FeedbackStatus; rating?: number; limit: number; cursor?: string }>;

export async function listFeedback(
  db: Kysely<Schema>,
  { status, rating, limit, cursor }: FeedbackFilter,
): Promise<{ items: FeedbackView[]; nextCursor: string | null }> {
  let query = db.selectFrom('feedback').selectAll().orderBy('submitted_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
  if (status !== undefined) query = query.where('status', '=', status);
  if (rating !== undefined) query = query.where('rating', '=', rating);
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('submitted_at', 'id'), '<', eb.tuple(after.submittedAt, after.id)));
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last) : null;
  return { items: page.map(toView), nextCursor };
}

const encodeCursor = (row: FeedbackRow): string =>
  Buffer.from(JSON.stringify([row.submitted_at.toISOString(), row.id])).toString('base64url');

function decodeCursor(cursor: string): { submittedAt: Date; id: string } {
  try {
    const [submittedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const at = new Date(String(submittedAt));
    if (typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id) && !Number.isNaN(at.getTime())) return { submittedAt: at, id };
  } catch {
    // fall through: any undecodable cursor gets the same answer
  }
  throw new ValidationError('QUERY.INVALID_CURSOR', 'The cursor is not one this API issued', [
    { path: 'cursor', message: 'Invalid cursor' },
  ]);
}

export type FeedbackStats = Readonly<{
  total: number;
  byStatus: Record<FeedbackStatus, number>;
  byRating: Record<'1' | '2' | '3' | '4' | '5' | 'unrated', number>;
  /** Days (UTC) within the window that have feedback, newest first. */
  byDay: { day: string; count: number }[];
}>;

export async function feedbackStats(db: Kysely<Schema>, { days }: { days: number }): Promise<FeedbackStats> {
  const [statuses, ratings, perDay] = await Promise.all([
    db.selectFrom('feedback').select(['status', (eb) => eb.fn.countAll<string>().as('count')]).groupBy('status').execute(),
    db.selectFrom('feedback').select(['rating', (eb) => eb.fn.countAll<string>().as('count')]).groupBy('rating').execute(),
    db
      .selectFrom('feedback')
      .select([sql<string>`to_char(submitted_at at time zone 'UTC', 'YYYY-MM-DD')`.as('day'), (eb) => eb.fn.countAll<string>().as('count')])
      .where('submitted_at', '>=', sql<Date>`date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' - make_interval(days => ${days - 1})`)
      .groupBy('day')
      .orderBy('day', 'desc')
      .execute(),
  ]);
  const byStatus: Record<FeedbackStatus, number> = { open: 0, in_progress: 0, resolved: 0, closed: 0 };
  for (const row of statuses) byStatus[row.status] = Number(row.count);
  const byRating: FeedbackStats['byRating'] = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0, unrated: 0 };
  for (const row of ratings) byRating[row.rating === null ? 'unrated' : (String(row.rating) as '1')] = Number(row.count);
  return {
    total: Object.values(byStatus).reduce((sum, count) => sum + count, 0),
    byStatus,
    byRating,
    byDay: perDay.map((row) => ({ day: row.day, count: Number(row.count) })),
  };
}
