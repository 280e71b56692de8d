// Lead commands and the rules that decide them.
//
// Status transitions (anything else is LEAD.ILLEGAL_TRANSITION, HTTP 409):
//   new       -> contacted | lost
//   contacted -> qualified | lost
//   qualified -> won | lost
//   lost      -> new (reopen)
//   won       -> nothing: won is final
// Asking for the status, owner, details or archival the lead already has is a no-op, so a retried request is
// harmless. An archived lead takes no command but unarchive (LEAD.ARCHIVED, HTTP 409).
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { IllegalState, NotFound } from '../kernel/errors.js';
import {
  evolve,
  initialState,
  type ActivityKind,
  type Lead,
  type LeadDetails,
  type LeadEvent,
  type LeadStatus,
} from './lead-events.js';

export type CreateLead = Command<'CreateLead', LeadDetails & { leadId: string; by: string }>;
/** The fields to change; those absent stay as they are (null clears an optional field). */
export type ChangeLeadDetails = Command<'ChangeLeadDetails', { leadId: string; changes: Partial<LeadDetails>; by: string }>;
export type ChangeLeadStatus = Command<'ChangeLeadStatus', { leadId: string; status: LeadStatus; reason: string | null; by: string }>;
/** `ownerId` must be an agent: the handler checks the user before it asks. */
export type AssignLead = Command<'AssignLead', { leadId: string; ownerId: string; by: string }>;
export type ArchiveLead = Command<'ArchiveLead', { leadId: string; by: string }>;
export type UnarchiveLead = Command<'UnarchiveLead', { leadId: string; by: string }>;
/** `occurredAt` null: it happened as it is logged. */
export type LogActivity = Command<'LogActivity', { leadId: string; activityId: string; kind: ActivityKind; text: string; occurredAt: string | null; by: string }>;

export type LeadCommand = CreateLead | ChangeLeadDetails | ChangeLeadStatus | AssignLead | ArchiveLead | UnarchiveLead | LogActivity;

export const ALLOWED_TRANSITIONS: Readonly<Record<LeadStatus, readonly LeadStatus[]>> = {
  new: ['contacted', 'lost'],
  contacted: ['qualified', 'lost'],
  qualified: ['won', 'lost'],
  lost: ['new'],
  won: [],
};

const DETAIL_FIELDS: readonly (keyof LeadDetails)[] = ['name', 'email', 'phone', 'company', 'source', 'valueCents'];

type ExistingLead = Exclude<Lead, { status: 'initial' }>;

function existing(state: Lead, leadId: string): ExistingLead {
  if (state.status === 'initial') throw new NotFound('LEAD.NOT_FOUND', `Lead ${leadId} does not exist`);
  return state;
}

/** A lead that may change: it exists and is not archived. */
function open(state: Lead, leadId: string): ExistingLead {
  const lead = existing(state, leadId);
  if (lead.archived) throw new IllegalState('LEAD.ARCHIVED', `Lead ${leadId} is archived: unarchive it first`);
  return lead;
}

export function decide(command: LeadCommand, state: Lead): readonly LeadEvent[] {
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'CreateLead': {
      if (state.status !== 'initial') throw new IllegalState('LEAD.ALREADY_EXISTS', `Lead ${command.data.leadId} already exists`);
      const { leadId, by, name, email, phone, company, source, valueCents } = command.data;
      return [{ type: 'LeadCreated', data: { leadId, name, email, phone, company, source, valueCents, createdBy: by, createdAt: at } }];
    }
    case 'ChangeLeadDetails': {
      const { leadId, changes, by } = command.data;
      const lead = open(state, leadId);
      const details: LeadDetails = { ...lead.details, ...definedOnly(changes) };
      const changed = DETAIL_FIELDS.filter((field) => details[field] !== lead.details[field]);
      if (changed.length === 0) return [];
      return [{ type: 'LeadDetailsChanged', data: { leadId, ...details, changed, changedBy: by, changedAt: at } }];
    }
    case 'ChangeLeadStatus': {
      const { leadId, status: to, reason, by } = command.data;
      const lead = open(state, leadId);
      if (lead.status === to) return [];
      if (lead.status === 'won') throw new IllegalState('LEAD.ILLEGAL_TRANSITION', `Lead ${leadId} is won: won is final`);
      if (!ALLOWED_TRANSITIONS[lead.status].includes(to)) {
        throw new IllegalState('LEAD.ILLEGAL_TRANSITION', `Lead ${leadId} cannot go from ${lead.status} to ${to} (allowed: ${ALLOWED_TRANSITIONS[lead.status].join(', ')})`);
      }
      return [{ type: 'LeadStatusChanged', data: { leadId, from: lead.status, to, reason, changedBy: by, changedAt: at } }];
    }
    case 'AssignLead': {
      const { leadId, ownerId, by } = command.data;
      const lead = open(state, leadId);
      if (lead.ownerId === ownerId) return [];
      return [{ type: 'LeadAssigned', data: { leadId, ownerId, previousOwnerId: lead.ownerId, assignedBy: by, assignedAt: at } }];
    }
    case 'ArchiveLead': {
      const { leadId, by } = command.data;
      const lead = existing(state, leadId);
      if (lead.archived) return [];
      return [{ type: 'LeadArchived', data: { leadId, archivedBy: by, archivedAt: at } }];
    }
    case 'UnarchiveLead': {
      const { leadId, by } = command.data;
      const lead = existing(state, leadId);
      if (!lead.archived) return [];
      return [{ type: 'LeadUnarchived', data: { leadId, unarchivedBy: by, unarchivedAt: at } }];
    }
    case 'LogActivity': {
      const { leadId, activityId, kind, text, occurredAt, by } = command.data;
      open(state, leadId);
      return [{ type: 'ActivityLogged', data: { leadId, activityId, kind, text, occurredAt: occurredAt ?? at, loggedBy: by, loggedAt: at } }];
    }
    default:
      return assertNever(command);
  }
}

/** The changes actually given: a field left undefined is not one to clear. */
function definedOnly(changes: Partial<LeadDetails>): Partial<LeadDetails> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<LeadDetails>;
}

/** A busy lead's stream grows with its activities: commands load it from a snapshot kept every 100 events. */
export const leadDecider: Decider<Lead, LeadCommand, LeadEvent> = { decide, evolve, initialState, snapshots: { every: 100, schema: 1 } };
