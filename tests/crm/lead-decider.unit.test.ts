import test from 'ava';
import { ALLOWED_TRANSITIONS, leadDecider, type LeadCommand } from '../../domain/crm/lead-commands.js';
import { LEAD_STATUSES, type LeadDetails, type LeadEvent, type LeadStatus } from '../../domain/crm/lead-events.js';
import { DeciderSpecification } from '../support/decider-specification.js';

const spec = DeciderSpecification(leadDecider);
const leadId = '01a2041a-9df6-7589-a81b-b54b1095756f';
const agent = '01a2041a-9df6-7589-a81b-000000000001';
const now = new Date('2026-12-01T10:00:00.000Z');
const at = now.toISOString();
const by = 'user-1';

const details: LeadDetails = { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0958', company: 'Analytical', source: 'referral', valueCents: 1_250_000 };
const command = <C extends LeadCommand>(type: C['type'], data: Omit<C['data'], 'leadId' | 'by'>): LeadCommand =>
  ({ type, data: { leadId, by, ...data }, metadata: { now } }) as LeadCommand;

const created: LeadEvent = { type: 'LeadCreated', data: { leadId, ...details, createdBy: by, createdAt: at } };
const moved = (from: LeadStatus, to: LeadStatus): LeadEvent => ({ type: 'LeadStatusChanged', data: { leadId, from, to, reason: null, changedBy: by, changedAt: at } });
const archived: LeadEvent = { type: 'LeadArchived', data: { leadId, archivedBy: by, archivedAt: at } };
const status = (to: LeadStatus, reason: string | null = null) => command('ChangeLeadStatus', { status: to, reason });

/** The events that bring a new lead to `status` by allowed steps. */
function historyTo(target: LeadStatus): LeadEvent[] {
  const path: Record<LeadStatus, LeadStatus[]> = { new: [], contacted: ['contacted'], qualified: ['contacted', 'qualified'], won: ['contacted', 'qualified', 'won'], lost: ['lost'] };
  let from: LeadStatus = 'new';
  return [created, ...path[target].map((to) => { const event = moved(from, to); from = to; return event; })];
}

test('creating a lead records its details, stamped with the command time', (t) => {
  spec.given([]).when(command('CreateLead', details)).then(t, [created]);
});

test('a lead cannot be created twice', (t) => {
  spec.given([created]).when(command('CreateLead', details)).thenThrows(t, 'LEAD.ALREADY_EXISTS');
});

test('commands on an unknown lead are not found', (t) => {
  for (const unknown of [status('contacted'), command('AssignLead', { ownerId: agent }), command('ArchiveLead', {}), command('LogActivity', { activityId: agent, kind: 'call', text: 'x', occurredAt: null })]) {
    spec.given([]).when(unknown).thenThrows(t, 'LEAD.NOT_FOUND');
  }
});

for (const from of LEAD_STATUSES) {
  for (const to of LEAD_STATUSES) {
    if (from === to) continue;
    const allowed = ALLOWED_TRANSITIONS[from].includes(to);
    test(`${from} -> ${to} is ${allowed ? 'allowed' : 'refused with LEAD.ILLEGAL_TRANSITION'}`, (t) => {
      const when = spec.given(historyTo(from)).when(status(to, 'because'));
      if (allowed) when.then(t, [{ type: 'LeadStatusChanged', data: { leadId, from, to, reason: 'because', changedBy: by, changedAt: at } }]);
      else when.thenThrows(t, 'LEAD.ILLEGAL_TRANSITION');
    });
  }
}

test('the table of transitions is the one the issue asks for', (t) => {
  t.deepEqual(ALLOWED_TRANSITIONS, { new: ['contacted', 'lost'], contacted: ['qualified', 'lost'], qualified: ['won', 'lost'], lost: ['new'], won: [] });
});

test('asking for the current status is a no-op, even for a won lead', (t) => {
  spec.given(historyTo('won')).when(status('won')).then(t, []);
  spec.given([created]).when(status('new')).then(t, []);
});

test('an edit records every detail after it and names the fields it changed; an edit that changes nothing records nothing', (t) => {
  spec
    .given([created])
    .when(command('ChangeLeadDetails', { changes: { company: null, valueCents: 99, name: 'Ada Lovelace' } }))
    .then(t, [{ type: 'LeadDetailsChanged', data: { leadId, ...details, company: null, valueCents: 99, changed: ['company', 'valueCents'], changedBy: by, changedAt: at } }]);
  spec.given([created]).when(command('ChangeLeadDetails', { changes: { name: 'Ada Lovelace', email: undefined } })).then(t, []);
});

test('assigning records the previous owner; assigning the same owner again is a no-op', (t) => {
  const assigned: LeadEvent = { type: 'LeadAssigned', data: { leadId, ownerId: agent, previousOwnerId: null, assignedBy: by, assignedAt: at } };
  spec.given([created]).when(command('AssignLead', { ownerId: agent })).then(t, [assigned]);
  spec.given([created, assigned]).when(command('AssignLead', { ownerId: agent })).then(t, []);
  spec.given([created, assigned]).when(command('AssignLead', { ownerId: 'other' })).then(t, [{ type: 'LeadAssigned', data: { leadId, ownerId: 'other', previousOwnerId: agent, assignedBy: by, assignedAt: at } }]);
});

test('an archived lead takes no change but unarchive; archive and unarchive are idempotent', (t) => {
  spec.given([created]).when(command('ArchiveLead', {})).then(t, [archived]);
  spec.given([created, archived]).when(command('ArchiveLead', {})).then(t, []);
  for (const refused of [status('contacted'), command('AssignLead', { ownerId: agent }), command('ChangeLeadDetails', { changes: { name: 'B' } }), command('LogActivity', { activityId: agent, kind: 'note', text: 'x', occurredAt: null })]) {
    spec.given([created, archived]).when(refused).thenThrows(t, 'LEAD.ARCHIVED');
  }
  spec.given([created, archived]).when(command('UnarchiveLead', {})).then(t, [{ type: 'LeadUnarchived', data: { leadId, unarchivedBy: by, unarchivedAt: at } }]);
  spec.given([created]).when(command('UnarchiveLead', {})).then(t, []);
});

test('an activity happened when the agent says, or when it was logged', (t) => {
  spec
    .given([created])
    .when(command('LogActivity', { activityId: agent, kind: 'call', text: 'Discussed pricing', occurredAt: '2026-11-30T09:00:00.000Z' }))
    .then(t, [{ type: 'ActivityLogged', data: { leadId, activityId: agent, kind: 'call', text: 'Discussed pricing', occurredAt: '2026-11-30T09:00:00.000Z', loggedBy: by, loggedAt: at } }]);
  spec
    .given(historyTo('won'))
    .when(command('LogActivity', { activityId: agent, kind: 'note', text: 'Kick-off booked', occurredAt: null }))
    .then(t, [{ type: 'ActivityLogged', data: { leadId, activityId: agent, kind: 'note', text: 'Kick-off booked', occurredAt: at, loggedBy: by, loggedAt: at } }]);
});
