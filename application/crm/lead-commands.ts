// Lead command handlers: load the lead's stream, decide, append with optimistic concurrency.
import {
  leadDecider,
  type ArchiveLead,
  type AssignLead,
  type ChangeLeadDetails,
  type ChangeLeadStatus,
  type CreateLead,
  type LeadCommand,
  type LogActivity,
  type UnarchiveLead,
} from '../../domain/crm/lead-commands.js';
import { leadStreamId, type ActivityKind, type LeadDetails, type LeadStatus } from '../../domain/crm/lead-events.js';
import type { Role } from '../../domain/identity/roles.js';
import { NotFound, ValidationError } from '../../domain/kernel/errors.js';
import { loadUser } from '../identity/users.js';
import { foldStream } from '../kernel/fold-stream.js';
import { handleCommand, type CommandContext, type CommandDependencies, type CommandResult } from '../kernel/handle-command.js';

export type LeadCommandResult = CommandResult & Readonly<{ id: string }>;

/** Who may own a lead: a registered user with one of these roles. */
export const LEAD_OWNER_ROLES: readonly Role[] = ['agent', 'operator', 'admin'];

type CommandOf<T extends LeadCommand['type']> = Extract<LeadCommand, { type: T }>;

async function run<T extends LeadCommand['type']>(
  deps: CommandDependencies,
  leadId: string,
  type: T,
  data: CommandOf<T>['data'],
  context: CommandContext,
): Promise<LeadCommandResult> {
  const result = await handleCommand(deps, leadDecider, leadStreamId(leadId), (now) => ({ type, data, metadata: { now } }) as CommandOf<T>, context);
  return { streamId: result.streamId, revision: result.revision, position: result.position, id: leadId };
}

export async function createLead(deps: CommandDependencies, details: LeadDetails, context: CommandContext): Promise<LeadCommandResult> {
  const leadId = deps.ids.next();
  return run<CreateLead['type']>(deps, leadId, 'CreateLead', { leadId, ...details, by: context.actor.sub }, { ...context, newStream: true });
}

export const changeLeadDetails = (deps: CommandDependencies, leadId: string, changes: Partial<LeadDetails>, context: CommandContext) =>
  run<ChangeLeadDetails['type']>(deps, leadId, 'ChangeLeadDetails', { leadId, changes, by: context.actor.sub }, context);

export const changeLeadStatus = (deps: CommandDependencies, leadId: string, input: { status: LeadStatus; reason: string | null }, context: CommandContext) =>
  run<ChangeLeadStatus['type']>(deps, leadId, 'ChangeLeadStatus', { leadId, ...input, by: context.actor.sub }, context);

/**
 * Assigns the lead to a user who may own leads. The user is read from their own stream (the source of truth, not a
 * read model); a user unknown, or without an owner's role, is refused with LEAD.UNKNOWN_AGENT (HTTP 400: the lead
 * exists, the body names someone who cannot own it).
 */
export async function assignLead(deps: CommandDependencies, leadId: string, agentId: string, context: CommandContext): Promise<LeadCommandResult> {
  const user = await loadUser(deps.store, agentId);
  if (user.status === 'initial' || !user.roles.some((role) => LEAD_OWNER_ROLES.includes(role))) {
    // An unknown lead answers 404 first, whoever the body names.
    if ((await foldStream(deps.store, leadDecider, leadStreamId(leadId))).state.status === 'initial') throw new NotFound('LEAD.NOT_FOUND', `Lead ${leadId} does not exist`);
    throw new ValidationError('LEAD.UNKNOWN_AGENT', `User ${agentId} is not an agent who can own leads`, [
      { path: 'body.agentId', message: `Not a user with one of the roles ${LEAD_OWNER_ROLES.join(', ')}` },
    ]);
  }
  return run<AssignLead['type']>(deps, leadId, 'AssignLead', { leadId, ownerId: agentId, by: context.actor.sub }, context);
}

export const archiveLead = (deps: CommandDependencies, leadId: string, context: CommandContext) =>
  run<ArchiveLead['type']>(deps, leadId, 'ArchiveLead', { leadId, by: context.actor.sub }, context);

export const unarchiveLead = (deps: CommandDependencies, leadId: string, context: CommandContext) =>
  run<UnarchiveLead['type']>(deps, leadId, 'UnarchiveLead', { leadId, by: context.actor.sub }, context);

export type LogActivityInput = Readonly<{ kind: ActivityKind; text: string; occurredAt: string | null }>;

/** Logs an activity; the answer's id is the activity's, and `leadId` the lead's. */
export async function logActivity(
  deps: CommandDependencies,
  leadId: string,
  input: LogActivityInput,
  context: CommandContext,
): Promise<LeadCommandResult & Readonly<{ leadId: string }>> {
  const activityId = deps.ids.next();
  const result = await run<LogActivity['type']>(deps, leadId, 'LogActivity', { leadId, activityId, ...input, by: context.actor.sub }, context);
  return { ...result, id: activityId, leadId };
}
