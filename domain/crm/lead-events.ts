// Leads: one stream per lead (`lead-<id>`) holding its details, status, owner, archival, the activities agents log
// on it and the AI summaries of those activities. Activities live in the lead's stream because every rule about them
// is a rule about the lead (no activity on an archived lead), and the summary enricher reads them there in order.
import { assertNever, type Event } from '../kernel/decider.js';

export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'won', 'lost'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

export const ACTIVITY_KINDS = ['call', 'email', 'meeting', 'note'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export const LEAD_SENTIMENTS = ['positive', 'neutral', 'negative'] as const;
export type LeadSentiment = (typeof LEAD_SENTIMENTS)[number];

export const LEAD_NAME_MAX_LENGTH = 200;
export const LEAD_COMPANY_MAX_LENGTH = 200;
export const LEAD_SOURCE_MAX_LENGTH = 100;
export const LEAD_PHONE_MAX_LENGTH = 40;
export const LEAD_REASON_MAX_LENGTH = 1000;
export const ACTIVITY_TEXT_MAX_LENGTH = 5000;
/** Value is kept in cents of the organisation's one currency: at most 10^13 cents, well inside a double's exact integers. */
export const LEAD_VALUE_MAX_CENTS = 10_000_000_000_000;

/** A phone number as people write it: an optional +, digits and spaces, dots, dashes or parentheses; 6 to 15 digits. */
export function isPhoneShaped(phone: string): boolean {
  const digits = phone.replace(/\D/g, '').length;
  return phone.length <= LEAD_PHONE_MAX_LENGTH && /^\+?[0-9 ().-]+$/.test(phone) && digits >= 6 && digits <= 15;
}

export const leadStreamId = (leadId: string): string => `lead-${leadId}`;

/** What describes a lead, as created or after an edit: every field, so that a reader needs no earlier event. */
export type LeadDetails = Readonly<{
  name: string;
  /** Normalised: trimmed, lower case. */
  email: string | null;
  /** As written, trimmed; validated to hold 6 to 15 digits. */
  phone: string | null;
  company: string | null;
  /** Where the lead came from (`website`, `referral`, ...), as the client names it. */
  source: string | null;
  /** The deal's expected value in cents; null when not known. */
  valueCents: number | null;
}>;

export type LeadCreated = Event<'LeadCreated', LeadDetails & { leadId: string; createdBy: string; createdAt: string }>;

/** An edit (PATCH): the details after it, and which fields it changed. */
export type LeadDetailsChanged = Event<
  'LeadDetailsChanged',
  LeadDetails & { leadId: string; changed: readonly (keyof LeadDetails)[]; changedBy: string; changedAt: string }
>;

export type LeadStatusChanged = Event<
  'LeadStatusChanged',
  { leadId: string; from: LeadStatus; to: LeadStatus; reason: string | null; changedBy: string; changedAt: string }
>;

/** `ownerId` is the user id of an agent; `previousOwnerId` null when the lead had none. */
export type LeadAssigned = Event<'LeadAssigned', { leadId: string; ownerId: string; previousOwnerId: string | null; assignedBy: string; assignedAt: string }>;

export type LeadArchived = Event<'LeadArchived', { leadId: string; archivedBy: string; archivedAt: string }>;
export type LeadUnarchived = Event<'LeadUnarchived', { leadId: string; unarchivedBy: string; unarchivedAt: string }>;

/** `occurredAt`: when the call, email or meeting happened (given by the agent, or the time it was logged). */
export type ActivityLogged = Event<
  'ActivityLogged',
  { leadId: string; activityId: string; kind: ActivityKind; text: string; occurredAt: string; loggedBy: string; loggedAt: string }
>;

/**
 * Appended by the summary enricher, not decided by a command: an AI's reading of the lead's activities as of the
 * activity `asOfActivityId` (the latest one when it was written).
 */
export type LeadSummarized = Event<
  'LeadSummarized',
  { leadId: string; summary: string; nextAction: string; sentiment: LeadSentiment; provider: string; asOfActivityId: string; summarizedAt: string }
>;

export type LeadEvent =
  | LeadCreated
  | LeadDetailsChanged
  | LeadStatusChanged
  | LeadAssigned
  | LeadArchived
  | LeadUnarchived
  | ActivityLogged
  | LeadSummarized;

export const LEAD_EVENT_TYPES: readonly LeadEvent['type'][] = [
  'LeadCreated',
  'LeadDetailsChanged',
  'LeadStatusChanged',
  'LeadAssigned',
  'LeadArchived',
  'LeadUnarchived',
  'ActivityLogged',
  'LeadSummarized',
];

export type Lead =
  | { status: 'initial' }
  | { status: LeadStatus; leadId: string; details: LeadDetails; ownerId: string | null; archived: boolean };

export const initialState = (): Lead => ({ status: 'initial' });

const detailsOf = ({ name, email, phone, company, source, valueCents }: LeadDetails): LeadDetails => ({ name, email, phone, company, source, valueCents });

export function evolve(state: Lead, event: LeadEvent): Lead {
  switch (event.type) {
    case 'LeadCreated':
      return { status: 'new', leadId: event.data.leadId, details: detailsOf(event.data), ownerId: null, archived: false };
    case 'LeadDetailsChanged':
      return state.status === 'initial' ? state : { ...state, details: detailsOf(event.data) };
    case 'LeadStatusChanged':
      return state.status === 'initial' ? state : { ...state, status: event.data.to };
    case 'LeadAssigned':
      return state.status === 'initial' ? state : { ...state, ownerId: event.data.ownerId };
    case 'LeadArchived':
      return state.status === 'initial' ? state : { ...state, archived: true };
    case 'LeadUnarchived':
      return state.status === 'initial' ? state : { ...state, archived: false };
    case 'ActivityLogged':
    case 'LeadSummarized':
      return state; // no command depends on them
    default:
      return assertNever(event);
  }
}
