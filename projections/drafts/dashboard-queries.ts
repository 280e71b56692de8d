// The drafts dashboard: over the drafts of a range of days (recordedAt, else the ingestion), how many there are, how
// many are evaluated, and over each one's latest evaluation the mean and p90 (nearest rank: percentile_disc) of the
// raw drafts' and the DFNs' WER and the mean improvement; in all, per bucket and per day. One statement with
// grouping sets, the same on PGlite and PostgreSQL.
import { sql, type Kysely } from 'kysely';
import { BUCKETS, type Bucket } from '../../domain/drafts/events.js';
import type { Schema } from '../schema.js';

export type Spread = Readonly<{ mean: number | null; p90: number | null }>;

export type DashboardFigures = Readonly<{
  drafts: number;
  evaluatedDrafts: number;
  /** evaluatedDrafts / drafts; null without drafts. */
  evaluatedShare: number | null;
  rawWer: Spread;
  dfnWer: Spread;
  improvement: Readonly<{ mean: number | null }>;
}>;

export type DraftsDashboard = Readonly<{
  from: string;
  to: string;
  bucket: Bucket | null;
  totals: DashboardFigures;
  /** Every bucket, in order (the speaker's bucket when evaluated; for a draft not evaluated yet, the speaker's bucket now). */
  byBucket: (DashboardFigures & Readonly<{ bucket: Bucket }>)[];
  /** Days with drafts, oldest first. */
  byDay: (DashboardFigures & Readonly<{ day: string }>)[];
}>;

export type DashboardFilter = Readonly<{ from: string; to: string; bucket?: Bucket | undefined }>;

type FiguresRow = {
  all_buckets: number;
  all_days: number;
  bucket: Bucket | null;
  day: string | null;
  drafts: string | number;
  evaluated: string | number;
  raw_mean: number | null;
  raw_p90: number | null;
  dfn_mean: number | null;
  dfn_p90: number | null;
  improvement_mean: number | null;
};

const number = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function figuresOf(row: FiguresRow | undefined): DashboardFigures {
  const drafts = Number(row?.drafts ?? 0);
  const evaluatedDrafts = Number(row?.evaluated ?? 0);
  return {
    drafts,
    evaluatedDrafts,
    evaluatedShare: drafts === 0 ? null : evaluatedDrafts / drafts,
    rawWer: { mean: number(row?.raw_mean), p90: number(row?.raw_p90) },
    dfnWer: { mean: number(row?.dfn_mean), p90: number(row?.dfn_p90) },
    improvement: { mean: number(row?.improvement_mean) },
  };
}

export async function draftsDashboard(db: Kysely<Schema>, { from, to, bucket }: DashboardFilter): Promise<DraftsDashboard> {
  // grouping(x) is 1 where a row aggregates over every x: both for the totals, all_days alone for a bucket's row.
  const { rows } = await sql<FiguresRow>`
    with scoped as (
      select d.day, coalesce(d.bucket, s.bucket) as bucket, d.evaluation_id, d.raw_wer, d.dfn_wer, d.improvement
      from drafts_dashboard_drafts d left join drafts_dashboard_speakers s on s.speaker_id = d.speaker_id
      where d.day >= ${from} and d.day <= ${to}
    )
    select grouping(bucket) as all_buckets, grouping(day) as all_days, bucket, day,
      count(*) as drafts, count(evaluation_id) as evaluated,
      avg(raw_wer) as raw_mean, percentile_disc(0.9) within group (order by raw_wer) as raw_p90,
      avg(dfn_wer) as dfn_mean, percentile_disc(0.9) within group (order by dfn_wer) as dfn_p90,
      avg(improvement) as improvement_mean
    from scoped
    where ${bucket ?? null}::text is null or bucket = ${bucket ?? null}::text
    group by grouping sets ((), (bucket), (day))`.execute(db);
  const totals = rows.find((row) => Number(row.all_buckets) === 1 && Number(row.all_days) === 1);
  const buckets = new Map(rows.filter((row) => Number(row.all_buckets) === 0 && Number(row.all_days) === 1 && row.bucket !== null).map((row) => [row.bucket!, row]));
  const days = rows.filter((row) => Number(row.all_buckets) === 1 && Number(row.all_days) === 0 && row.day !== null).sort((a, b) => a.day!.localeCompare(b.day!));
  return {
    from,
    to,
    bucket: bucket ?? null,
    totals: figuresOf(totals),
    byBucket: BUCKETS.filter((name) => bucket === undefined || name === bucket).map((name) => ({ bucket: name, ...figuresOf(buckets.get(name)) })),
    byDay: days.map((row) => ({ day: row.day!, ...figuresOf(row) })),
  };
}
