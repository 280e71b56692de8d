// GET /v1/drafts/dashboard: the drafts dashboard (projections/drafts/dashboard-queries.ts) over a range of days,
// optionally one bucket; cached like the feedback stats, keyed by how many batches the read model has applied.
import { z } from 'zod';
import { BUCKETS } from '../../domain/drafts/events.js';
import { ValidationError } from '../../domain/kernel/errors.js';
import { draftsDashboardProjection } from '../../projections/drafts/dashboard-projection.js';
import { draftsDashboard } from '../../projections/drafts/dashboard-queries.js';
import { answerCached } from './cached-read.js';
import type { HttpDependencies } from './dependencies.js';
import { DRAFTS_READERS } from './drafts.js';
import { awaitMinPosition, MIN_POSITION_HEADER } from './read-your-writes.js';
import { CONSISTENCY_HEADER, readDatabase } from './read-database.js';
import { route } from './routes.js';

/** The longest range one request may cover, in days. */
export const DASHBOARD_MAX_DAYS = 366;
const DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;

/** A calendar day, YYYY-MM-DD, that exists (no 2026-02-30). */
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD')
  .refine((value) => {
    const at = new Date(`${value}T00:00:00.000Z`);
    return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === value;
  }, 'must be a calendar date');

const DashboardQuery = z.strictObject({
  from: Day.optional().meta({ description: 'First day (UTC, inclusive); default: 29 days before `to`' }),
  to: Day.optional().meta({ description: 'Last day (UTC, inclusive); default: today' }),
  bucket: z.enum(BUCKETS).optional(),
});

/** The last day a YYYY-MM-DD can name: a default range ends there rather than in year 10000 ("+010000-01"). */
const LAST_DAY = '9999-12-31';

const shiftDays = (day: string, days: number): string => {
  const shifted = new Date(Date.parse(`${day}T00:00:00.000Z`) + days * DAY_MS).toISOString().slice(0, 10);
  return shifted.startsWith('+') ? LAST_DAY : shifted;
};

/** The range asked for, with its defaults, in order and no longer than DASHBOARD_MAX_DAYS. */
export function dashboardRange(query: Readonly<{ from?: string | undefined; to?: string | undefined }>, today: string): { from: string; to: string } {
  const to = query.to ?? (query.from === undefined ? today : shiftDays(query.from, DEFAULT_DAYS - 1));
  const from = query.from ?? shiftDays(to, -(DEFAULT_DAYS - 1));
  if (from > to) throw new ValidationError('DRAFTS.INVALID_RANGE', 'from must not be after to', [{ path: 'query.from', message: 'After to' }]);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days > DASHBOARD_MAX_DAYS) {
    throw new ValidationError('DRAFTS.RANGE_TOO_LONG', `The range covers ${days} days; at most ${DASHBOARD_MAX_DAYS}`, [{ path: 'query.to', message: `At most ${DASHBOARD_MAX_DAYS} days after from` }]);
  }
  return { from, to };
}

export const draftsDashboardRoutes = (deps: HttpDependencies) => [
  route({
    method: 'get',
    path: '/v1/drafts/dashboard',
    tag: 'drafts',
    summary: 'Drafts, evaluated share, WER of raw drafts and DFNs (mean, p90) and improvement, in all, per bucket and per day',
    access: DRAFTS_READERS,
    query: DashboardQuery,
    headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
    responses: { 200: '{ from, to, bucket, totals, byBucket, byDay }', 400: 'Invalid date, bucket, or range (from after to, over 366 days)', 503: 'Read model behind X-Chorus-Min-Position' },
    async handle(ctx, { query }) {
      const today = deps.commands.clock.now().toISOString().slice(0, 10);
      const range = dashboardRange(query, today);
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, draftsDashboardProjection, reader.db);
      await answerCached(ctx, deps, reader, draftsDashboardProjection, [range.from, range.to, query.bucket ?? 'all'], () =>
        draftsDashboard(reader.db, { ...range, bucket: query.bucket }),
      );
    },
  }),
];
