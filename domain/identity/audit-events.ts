// The security audit trail: refusals, login failures and lockouts, stolen refresh tokens, every change to who
// may do what, and operators' actions on dead letters and replays. Entries are facts about requests, never their
// secrets: no password, no token, no key.
import type { Event } from '../kernel/decider.js';

export const AUDIT_TYPES = [
  'auth.unauthenticated',
  'auth.forbidden',
  'auth.login_failed',
  'auth.locked_out',
  'auth.refresh_reused',
  'user.roles_changed',
  'apikey.created',
  'apikey.revoked',
  'deadletter.retried',
  'deadletter.discarded',
  'projection.rebuild_started',
  'projection.rolled_back',
  'projection.previous_dropped',
  'projection.verify_started',
  'replay.started',
  'replay.cancelled',
  /** Entries of one source past its allowance in a minute, counted instead of recorded one by one. */
  'audit.suppressed',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

export type AuditActor = Readonly<{ sub: string; roles?: readonly string[]; apiKeyId?: string }>;

export type AuditEntry = Readonly<{
  type: AuditType;
  actor: AuditActor;
  method: string;
  route: string;
  ip: string;
  correlationId: string;
  /** A problem code or a short phrase: why it was refused, or what changed. */
  reason: string;
  /** What it was about (`user:<id>`, `apikey:<id>`, `deadletter:<id>`, `projection:<name>`, `replay:<id>`). */
  subject: string | null;
  /** How many requests this entry stands for: 1, or more for `audit.suppressed`. */
  count: number;
  occurredAt: string;
}>;

export type AuditRecorded = Event<'AuditRecorded', AuditEntry>;
