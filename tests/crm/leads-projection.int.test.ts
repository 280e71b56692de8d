// The leads read model: given recorded events, the rows of crm_leads and crm_activities, and the same rows when the
// events are applied again.
import test from 'ava';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { leadStreamId, type LeadEvent, type LeadStatus } from '../../domain/crm/lead-events.js';
import { leadsProjection } from '../../projections/crm/leads-projection.js';
import { ProjectionSpecification, recordedEventLog } from '../support/projection-specification.js';
import { embeddedTestDatabase } from '../support/databases.js';

const spec = ProjectionSpecification(leadsProjection, { crm_leads: ['id'], crm_activities: ['id'] });
const at = '2026-12-01T09:00:00.000Z';
const later = '2026-12-02T09:00:00.000Z';

function lead(id = uuidv7(), log = recordedEventLog()) {
  const stream = leadStreamId(id);
  const record = (event: LeadEvent) => log.record(stream, event);
  return {
    id,
    created: () => record({ type: 'LeadCreated', data: { leadId: id, name: 'Ada Lovelace', email: 'ada@acme.io', phone: null, company: 'Acme', source: 'web', valueCents: 150_000, createdBy: 'u1', createdAt: at } }),
    moved: (from: LeadStatus, to: LeadStatus) => record({ type: 'LeadStatusChanged', data: { leadId: id, from, to, reason: 'why', changedBy: 'u1', changedAt: later } }),
    assigned: (ownerId: string) => record({ type: 'LeadAssigned', data: { leadId: id, ownerId, previousOwnerId: null, assignedBy: 'u1', assignedAt: later } }),
    archived: () => record({ type: 'LeadArchived', data: { leadId: id, archivedBy: 'u1', archivedAt: later } }),
    activity: (activityId: string, occurredAt: string, text = 'Called about pricing') =>
      record({ type: 'ActivityLogged', data: { leadId: id, activityId, kind: 'call', text, occurredAt, loggedBy: 'u2', loggedAt: later } }),
    summarized: () =>
      record({ type: 'LeadSummarized', data: { leadId: id, summary: 'S', nextAction: 'N', sentiment: 'positive', provider: 'local', asOfActivityId: 'a', summarizedAt: later } }),
  };
}

const row = (id: string) => ({
  id,
  name: 'Ada Lovelace',
  email: 'ada@acme.io',
  phone: null,
  company: 'Acme',
  source: 'web',
  value_cents: 150000, // bigint: PGlite hands it back as a number (pg as text; the queries convert)
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
  revision: 0,
  created_by: 'u1',
  created_at: new Date(at),
  updated_at: new Date(at),
  search: "'acm':3,6 'ada':1,5 'ada@acme.io':4 'io':7 'lovelac':2",
});

test('given a creation, then one new row with its search vector, and no activities', async (t) => {
  const one = lead();
  await spec.given([one.created()]).then(t, { crm_leads: [row(one.id)] as never, crm_activities: [] });
});

test('given a lead, when it moves, is assigned, archived, gets activities and a summary, then the row follows in one or two batches', async (t) => {
  const one = lead();
  const [a1, a2] = [uuidv7(), uuidv7()];
  const created = one.created();
  const rest = [one.moved('new', 'contacted'), one.assigned('agent-1'), one.activity(a1, '2026-11-30T10:00:00.000Z'), one.activity(a2, '2026-11-29T10:00:00.000Z', 'Left a voicemail'), one.summarized(), one.archived()];
  const expected = {
    crm_leads: [
      {
        ...row(one.id),
        status: 'contacted',
        status_reason: 'why',
        owner_id: 'agent-1',
        archived: true,
        activity_count: 2,
        last_activity_at: new Date('2026-11-30T10:00:00.000Z'),
        summary: 'S',
        next_action: 'N',
        sentiment: 'positive',
        ai_provider: 'local',
        summarized_at: new Date(later),
        revision: 6,
        updated_at: new Date(later),
      },
    ],
    crm_activities: [a1, a2]
      .sort()
      .map((id) => ({
        id,
        lead_id: one.id,
        kind: 'call',
        text: id === a1 ? 'Called about pricing' : 'Left a voicemail',
        occurred_at: new Date(id === a1 ? '2026-11-30T10:00:00.000Z' : '2026-11-29T10:00:00.000Z'),
        logged_by: 'u2',
        logged_at: new Date(later),
        search: id === a1 ? "'call':1 'price':3" : "'left':1 'voicemail':3",
      })),
  };
  await spec.given([created]).when(rest).then(t, expected as never);
  await spec.given([created, ...rest]).then(t, expected as never);
});

test('events of a lead whose creation was never seen leave no rows', async (t) => {
  const one = lead();
  one.created(); // recorded, not applied
  await spec.given([one.moved('new', 'lost'), one.activity(uuidv7(), at)]).then(t, { crm_leads: [], crm_activities: [] });
});

test('the English search configuration exists on this database (PGlite and PostgreSQL alike)', async (t) => {
  const db = await embeddedTestDatabase();
  try {
    const { rows } = await sql<{ hit: boolean }>`select to_tsvector('english', 'integrations') @@ websearch_to_tsquery('english', 'integration') as hit`.execute(db.database.db);
    t.true(rows[0]!.hit);
  } finally {
    await db.drop();
  }
});
