// The leads read model: one row per lead folded by a pure evolve, and one row per activity. A lead row keeps its
// stream's revision, so an event at or below it changes nothing; an activity is inserted once by its id. Applying
// the same events twice leaves the same rows.
import { sql, type Selectable, type Transaction } from 'kysely';
import { assertNever } from '../../domain/kernel/decider.js';
import { LEAD_EVENT_TYPES, type ActivityLogged, type LeadEvent } from '../../domain/crm/lead-events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Schema } from '../schema.js';
import type { Projection } from '../projection.js';
import type { CrmLeadsTable } from './leads-schema.js';

/** A lead row as evolve folds it: the value in cents as a number, and without its tsvector (SQL computes it). */
export type LeadRow = Omit<Selectable<CrmLeadsTable>, 'search' | 'value_cents'> & { value_cents: number | null };

export function evolve(row: LeadRow | null, event: RecordedEvent): LeadRow | null {
  if (row !== null && event.revision <= row.revision) return row; // already applied: a replay changes nothing
  const leadEvent = event as unknown as LeadEvent;
  const touched = (at: string): Pick<LeadRow, 'revision' | 'updated_at'> => ({ revision: event.revision, updated_at: new Date(at) });
  switch (leadEvent.type) {
    case 'LeadCreated': {
      const { leadId, name, email, phone, company, source, valueCents, createdBy, createdAt } = leadEvent.data;
      return {
        id: leadId,
        name,
        email,
        phone,
        company,
        source,
        value_cents: valueCents,
        status: 'new',
        status_reason: null,
        owner_id: null,
        archived: false,
        activity_count: 0,
        last_activity_at: null,
        summary: null,
        next_action: null,
        sentiment: null,
        ai_provider: null,
        summarized_at: null,
        created_by: createdBy,
        created_at: new Date(createdAt),
        ...touched(createdAt),
      };
    }
    case 'LeadDetailsChanged': {
      if (row === null) return null;
      const { name, email, phone, company, source, valueCents, changedAt } = leadEvent.data;
      return { ...row, name, email, phone, company, source, value_cents: valueCents, ...touched(changedAt) };
    }
    case 'LeadStatusChanged':
      if (row === null) return null;
      return { ...row, status: leadEvent.data.to, status_reason: leadEvent.data.reason, ...touched(leadEvent.data.changedAt) };
    case 'LeadAssigned':
      if (row === null) return null;
      return { ...row, owner_id: leadEvent.data.ownerId, ...touched(leadEvent.data.assignedAt) };
    case 'LeadArchived':
      if (row === null) return null;
      return { ...row, archived: true, ...touched(leadEvent.data.archivedAt) };
    case 'LeadUnarchived':
      if (row === null) return null;
      return { ...row, archived: false, ...touched(leadEvent.data.unarchivedAt) };
    case 'ActivityLogged': {
      if (row === null) return null;
      const occurred = new Date(leadEvent.data.occurredAt);
      const latest = row.last_activity_at === null || occurred > row.last_activity_at ? occurred : row.last_activity_at;
      return { ...row, activity_count: row.activity_count + 1, last_activity_at: latest, ...touched(leadEvent.data.loggedAt) };
    }
    case 'LeadSummarized': {
      if (row === null) return null;
      const { summary, nextAction, sentiment, provider, summarizedAt } = leadEvent.data;
      // Not an edit of the lead: updated_at stays what its people made it.
      return { ...row, summary, next_action: nextAction, sentiment, ai_provider: provider, summarized_at: new Date(summarizedAt), revision: event.revision };
    }
    default:
      return assertNever(leadEvent);
  }
}

/** What `q` searches of a lead: its name, company and email, the email also cut at @ and dots ("acme" finds ada@acme.io). */
export const searchableText = (row: Pick<LeadRow, 'name' | 'company' | 'email'>): string =>
  [row.name, row.company, row.email, row.email?.replace(/[@.]/g, ' ')].filter((part) => part !== null && part !== undefined).join(' ');

/** The stored columns of a lead but its tsvector. */
export const LEAD_COLUMNS = [
  'id', 'name', 'email', 'phone', 'company', 'source', 'value_cents', 'status', 'status_reason', 'owner_id', 'archived', 'activity_count',
  'last_activity_at', 'summary', 'next_action', 'sentiment', 'ai_provider', 'summarized_at', 'revision', 'created_by', 'created_at', 'updated_at',
] as const;

/** A stored lead row as evolve takes it: the value a number again. */
export const leadRowOf = (stored: Omit<Selectable<CrmLeadsTable>, 'search'>): LeadRow => ({ ...stored, value_cents: stored.value_cents === null ? null : Number(stored.value_cents) });

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const ids = [...new Set(events.map((event) => (event.data as { leadId: string }).leadId))];
  // Planned at each run (see PLAN_PER_RUN in infrastructure/db).
  const stored = await tx.selectFrom('crm_leads').modifyFront(sql`/* plan per run */`).select(LEAD_COLUMNS).where('id', '=', sql<string>`any(${ids}::uuid[])`).execute();
  const before = new Map(stored.map((row) => [row.id, leadRowOf(row)]));
  const after = new Map<string, LeadRow | null>(before);
  const activities: ActivityLogged['data'][] = [];
  for (const event of events) {
    const id = (event.data as { leadId: string }).leadId;
    const previous = after.get(id) ?? null;
    const next = evolve(previous, event);
    after.set(id, next);
    if (event.type === 'ActivityLogged' && next !== null && next !== previous) activities.push((event as unknown as ActivityLogged).data);
  }
  for (const row of after.values()) {
    if (row === null || row === before.get(row.id)) continue;
    const { id, ...rest } = row;
    const search = sql<string>`to_tsvector('english', ${searchableText(row)})`;
    await tx
      .insertInto('crm_leads')
      .values({ id, ...rest, search })
      .onConflict((oc) => oc.column('id').doUpdateSet({ ...rest, search }))
      .execute();
  }
  for (const activity of activities) {
    await tx
      .insertInto('crm_activities')
      .values({
        id: activity.activityId,
        lead_id: activity.leadId,
        kind: activity.kind,
        text: activity.text,
        occurred_at: new Date(activity.occurredAt),
        logged_by: activity.loggedBy,
        logged_at: new Date(activity.loggedAt),
        search: sql<string>`to_tsvector('english', ${activity.text})`,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
}

export const leadsProjection: Projection = {
  name: 'crm-leads',
  version: 1,
  categories: ['lead'],
  handles: LEAD_EVENT_TYPES,
  tables: ['crm_leads', 'crm_activities'],
  apply,
};
