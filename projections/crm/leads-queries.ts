// Reads of the leads read model: one lead with its latest activities, a filtered and searched page of leads, a
// lead's activities, and the pipeline's stats. Pages are keyset pages, newest first.
import { sql, type Kysely } from 'kysely';
import { LEAD_STATUSES, type ActivityKind, type LeadSentiment, type LeadStatus } from '../../domain/crm/lead-events.js';
import { decodeCursor, encodeCursor } from '../keyset-cursor.js';
import type { Schema } from '../schema.js';
import { LEAD_COLUMNS, leadRowOf, type LeadRow } from './leads-projection.js';
import type { CrmActivitiesTable } from './leads-schema.js';

export type Page<T> = Readonly<{ items: T[]; nextCursor: string | null }>;

export type ActivityView = Readonly<{ id: string; leadId: string; kind: ActivityKind; text: string; occurredAt: string; loggedBy: string; loggedAt: string }>;

export type LeadView = Readonly<{
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  company: string | null;
  source: string | null;
  /** In currency units (the cents of the event, divided by 100). */
  value: number | null;
  status: LeadStatus;
  statusReason: string | null;
  ownerId: string | null;
  archived: boolean;
  activityCount: number;
  lastActivityAt: string | null;
  summary: Readonly<{ summary: string; nextAction: string; sentiment: LeadSentiment; provider: string; summarizedAt: string }> | null;
  revision: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}>;

export type LeadWithActivities = LeadView & Readonly<{ latestActivities: ActivityView[] }>;

/** How many of its activities GET /v1/leads/:id shows. */
export const LATEST_ACTIVITIES = 5;

const ACTIVITY_COLUMNS = ['id', 'lead_id', 'kind', 'text', 'occurred_at', 'logged_by', 'logged_at'] as const;

const toView = (row: LeadRow): LeadView => ({
  id: row.id,
  name: row.name,
  email: row.email,
  phone: row.phone,
  company: row.company,
  source: row.source,
  value: row.value_cents === null ? null : row.value_cents / 100,
  status: row.status,
  statusReason: row.status_reason,
  ownerId: row.owner_id,
  archived: row.archived,
  activityCount: row.activity_count,
  lastActivityAt: row.last_activity_at?.toISOString() ?? null,
  summary:
    row.summary === null || row.next_action === null || row.sentiment === null || row.ai_provider === null || row.summarized_at === null
      ? null
      : { summary: row.summary, nextAction: row.next_action, sentiment: row.sentiment, provider: row.ai_provider, summarizedAt: row.summarized_at.toISOString() },
  revision: row.revision,
  createdBy: row.created_by,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const activityView = (row: Omit<CrmActivitiesTable, 'search'>): ActivityView => ({
  id: row.id,
  leadId: row.lead_id,
  kind: row.kind,
  text: row.text,
  occurredAt: row.occurred_at.toISOString(),
  loggedBy: row.logged_by,
  loggedAt: row.logged_at.toISOString(),
});

export async function getLead(db: Kysely<Schema>, id: string): Promise<LeadWithActivities | undefined> {
  const row = await db.selectFrom('crm_leads').select(LEAD_COLUMNS).where('id', '=', id).executeTakeFirst();
  if (row === undefined) return undefined;
  const latest = await listActivities(db, id, { limit: LATEST_ACTIVITIES });
  return { ...toView(leadRowOf(row)), latestActivities: latest.items };
}

export async function leadExists(db: Kysely<Schema>, id: string): Promise<boolean> {
  return (await db.selectFrom('crm_leads').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export type LeadFilter = Readonly<{
  status?: LeadStatus;
  /** A user id, or `none` for leads nobody owns. */
  owner?: string;
  /** Full text over name, company, email and the lead's activities (websearch syntax: words, "phrases", -not, or). */
  q?: string;
  /** true: only archived leads; false (the default): only the others. */
  archived: boolean;
  limit: number;
  cursor?: string;
}>;

export async function listLeads(db: Kysely<Schema>, { status, owner, q, archived, limit, cursor }: LeadFilter): Promise<Page<LeadView>> {
  let query = db
    .selectFrom('crm_leads')
    .select(LEAD_COLUMNS)
    .where('archived', '=', archived)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (status !== undefined) query = query.where('status', '=', status);
  if (owner !== undefined) query = owner === 'none' ? query.where('owner_id', 'is', null) : query.where('owner_id', '=', owner);
  if (q !== undefined) {
    const matches = sql<boolean>`(crm_leads.search @@ websearch_to_tsquery('english', ${q}) or exists (
      select 1 from crm_activities where crm_activities.lead_id = crm_leads.id and crm_activities.search @@ websearch_to_tsquery('english', ${q})))`;
    query = query.where(matches);
  }
  if (cursor !== undefined) {
    const [afterAt, afterId] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(afterAt, afterId)));
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map((row) => toView(leadRowOf(row))), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.created_at, last.id) : null };
}

export async function listActivities(db: Kysely<Schema>, leadId: string, { limit, cursor }: { limit: number; cursor?: string }): Promise<Page<ActivityView>> {
  let query = db
    .selectFrom('crm_activities')
    .select(ACTIVITY_COLUMNS)
    .where('lead_id', '=', leadId)
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (cursor !== undefined) {
    const [afterAt, afterId] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('occurred_at', 'id'), '<', eb.tuple(afterAt, afterId)));
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(activityView), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.occurred_at, last.id) : null };
}

export type Tally = Readonly<{ count: number; value: number }>;

export type LeadStats = Readonly<{
  /** Leads not archived. Values are in currency units. */
  total: Tally;
  byStatus: Record<LeadStatus, Tally>;
  /** Owners by count, most first; `ownerId` null for the unassigned. */
  byOwner: (Tally & Readonly<{ ownerId: string | null; byStatus: Record<LeadStatus, Tally> }>)[];
  /** won / (won + lost), or null while no lead is closed. */
  conversionRate: number | null;
}>;

const emptyByStatus = (): Record<LeadStatus, { count: number; value: number }> =>
  Object.fromEntries(LEAD_STATUSES.map((status) => [status, { count: 0, value: 0 }])) as Record<LeadStatus, { count: number; value: number }>;

/** Count and value by status and owner of the leads not archived, in one grouped scan. */
export async function leadStats(db: Kysely<Schema>): Promise<LeadStats> {
  const rows = await db
    .selectFrom('crm_leads')
    .select((eb) => ['status', 'owner_id', eb.fn.countAll<string>().as('count'), sql<string | null>`sum(value_cents)`.as('cents')])
    .where('archived', '=', false)
    .groupBy(['status', 'owner_id'])
    .execute();
  const total = { count: 0, value: 0 };
  const byStatus = emptyByStatus();
  const owners = new Map<string | null, { ownerId: string | null; count: number; value: number; byStatus: Record<LeadStatus, { count: number; value: number }> }>();
  let cents = 0;
  for (const row of rows) {
    const count = Number(row.count);
    const rowCents = row.cents === null ? 0 : Number(row.cents);
    cents += rowCents;
    total.count += count;
    byStatus[row.status].count += count;
    byStatus[row.status].value += rowCents;
    const owner = owners.get(row.owner_id) ?? { ownerId: row.owner_id, count: 0, value: 0, byStatus: emptyByStatus() };
    owner.count += count;
    owner.value += rowCents;
    owner.byStatus[row.status].count += count;
    owner.byStatus[row.status].value += rowCents;
    owners.set(row.owner_id, owner);
  }
  // Summed in cents, converted once: no rounding error accumulates.
  total.value = cents / 100;
  for (const tally of Object.values(byStatus)) tally.value /= 100;
  for (const owner of owners.values()) {
    owner.value /= 100;
    for (const tally of Object.values(owner.byStatus)) tally.value /= 100;
  }
  const closed = byStatus.won.count + byStatus.lost.count;
  return {
    total,
    byStatus,
    byOwner: [...owners.values()].sort((a, b) => b.count - a.count || String(a.ownerId).localeCompare(String(b.ownerId))),
    conversionRate: closed === 0 ? null : byStatus.won.count / closed,
  };
}
