// The CRM routes: leads, their status, owner and archival, the activities logged on them, and pipeline stats.
// Agents and operators work leads (admins too); viewers read.
import type { Context } from 'koa';
import { z } from 'zod';
import {
  archiveLead,
  assignLead,
  changeLeadDetails,
  changeLeadStatus,
  createLead,
  logActivity,
  unarchiveLead,
  type LeadCommandResult,
} from '../../application/crm/lead-commands.js';
import {
  ACTIVITY_KINDS,
  ACTIVITY_TEXT_MAX_LENGTH,
  LEAD_COMPANY_MAX_LENGTH,
  LEAD_NAME_MAX_LENGTH,
  LEAD_PHONE_MAX_LENGTH,
  LEAD_REASON_MAX_LENGTH,
  LEAD_SOURCE_MAX_LENGTH,
  LEAD_STATUSES,
  LEAD_VALUE_MAX_CENTS,
  isPhoneShaped,
  type LeadDetails,
} from '../../domain/crm/lead-events.js';
import { isEmailShaped, normalizeEmail } from '../../domain/identity/email.js';
import type { Role } from '../../domain/identity/roles.js';
import { NotFound } from '../../domain/kernel/errors.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import { leadsProjection } from '../../projections/crm/leads-projection.js';
import { getLead, leadExists, leadStats, listActivities, listLeads } from '../../projections/crm/leads-queries.js';
import { commandContextOf } from './access.js';
import { answerCached } from './cached-read.js';
import type { HttpDependencies } from './dependencies.js';
import { etag, ifMatchRevision, noneMatchHits } from './preconditions.js';
import { CONSISTENCY_HEADER, readDatabase } from './read-database.js';
import { awaitMinPosition, MIN_POSITION_HEADER } from './read-your-writes.js';
import { route } from './routes.js';

const WRITERS: readonly Role[] = ['agent', 'operator'];
const READERS: readonly Role[] = ['viewer', 'agent', 'operator'];

const text = (max: number) => z.string().trim().min(1).max(max);

const Email = z
  .string()
  .max(320)
  .transform(normalizeEmail)
  .refine(isEmailShaped, 'Not an email address');

/** A phone number as people write it: an optional +, digits and spaces, dots, dashes or parentheses; 6 to 15 digits. */
const Phone = z
  .string()
  .trim()
  .max(LEAD_PHONE_MAX_LENGTH)
  .refine(isPhoneShaped, 'A phone number: an optional leading +, then 6 to 15 digits with spaces, dots, dashes or parentheses');

/** The deal's value in the organisation's currency units, at most two decimals (cents), never negative. */
const Value = z
  .number()
  .min(0)
  .max(LEAD_VALUE_MAX_CENTS / 100)
  .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, 'At most two decimals (cents)')
  .transform((value) => Math.round(value * 100));

const CreateLeadBody = z.strictObject({
  name: text(LEAD_NAME_MAX_LENGTH),
  email: Email.nullish(),
  phone: Phone.nullish(),
  company: text(LEAD_COMPANY_MAX_LENGTH).nullish(),
  source: text(LEAD_SOURCE_MAX_LENGTH).nullish(),
  value: Value.nullish().meta({ description: 'Expected deal value in currency units, up to two decimals; stored in cents' }),
});

const PatchLeadBody = z
  .strictObject({
    name: text(LEAD_NAME_MAX_LENGTH).optional(),
    email: Email.nullable().optional(),
    phone: Phone.nullable().optional(),
    company: text(LEAD_COMPANY_MAX_LENGTH).nullable().optional(),
    source: text(LEAD_SOURCE_MAX_LENGTH).nullable().optional(),
    value: Value.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'Name at least one field to change');

const StatusBody = z.strictObject({ status: z.enum(LEAD_STATUSES), reason: text(LEAD_REASON_MAX_LENGTH).nullish() });
const AssignBody = z.strictObject({ agentId: z.string().refine(isUuid, 'A user id').transform((id) => id.toLowerCase()) });

/** Years 1 to 9999 in ISO 8601 with an offset: what both drivers store alike. */
const OccurredAt = z.iso.datetime({ offset: true }).transform((at) => new Date(at)).refine((at) => at.getUTCFullYear() >= 1 && at.getUTCFullYear() <= 9999, 'Out of range').transform((at) => at.toISOString());
const ActivityBody = z.strictObject({ kind: z.enum(ACTIVITY_KINDS), text: text(ACTIVITY_TEXT_MAX_LENGTH), occurredAt: OccurredAt.nullish() });

const Limit = z.coerce.number().int().min(1).max(100).default(20);
const Cursor = z.string().min(1).max(500).optional();

const ListQuery = z.strictObject({
  status: z.enum(LEAD_STATUSES).optional(),
  owner: z.union([z.literal('none'), z.string().refine(isUuid, 'A user id, or none').transform((id) => id.toLowerCase())]).optional(),
  q: z.string().trim().min(1).max(200).optional(),
  archived: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  limit: Limit,
  cursor: Cursor,
});
const ActivitiesQuery = z.strictObject({ limit: Limit, cursor: Cursor });

function leadId(id: string | undefined): string {
  if (id === undefined || !isUuid(id)) throw new NotFound('LEAD.NOT_FOUND', `Lead ${id ?? ''} does not exist`);
  return id.toLowerCase();
}

function respond(ctx: Context, status: 200 | 201, result: LeadCommandResult, location?: string): void {
  ctx.status = status;
  if (location !== undefined) ctx.set('Location', location);
  ctx.set('ETag', etag(result.revision));
  if (result.position !== null) ctx.set('X-Chorus-Position', result.position);
  ctx.body = { id: result.id, revision: result.revision, position: result.position };
}

/** The fields a PATCH names, as the decider takes them (null clears, absent keeps). */
function changesOf(body: z.infer<typeof PatchLeadBody>): Partial<LeadDetails> {
  const changes: { -readonly [K in keyof LeadDetails]?: LeadDetails[K] } = {};
  if (body.name !== undefined) changes.name = body.name;
  if (body.email !== undefined) changes.email = body.email;
  if (body.phone !== undefined) changes.phone = body.phone;
  if (body.company !== undefined) changes.company = body.company;
  if (body.source !== undefined) changes.source = body.source;
  if (body.value !== undefined) changes.valueCents = body.value;
  return changes;
}

const changed = { 200: 'Changed (or already so): { id, revision, position }, ETag', 404: 'Unknown lead', 409: 'Archived (LEAD.ARCHIVED)', 412: 'If-Match does not match' };

export const crmRoutes = (deps: HttpDependencies) => [
  route({
    method: 'post',
    path: '/v1/leads',
    tag: 'crm',
    summary: 'Create a lead',
    access: WRITERS,
    body: CreateLeadBody,
    responses: { 201: 'Created: { id, revision, position }', 400: 'Invalid body (a bad email, phone or value)' },
    async handle(ctx, { body, commands }) {
      const details: LeadDetails = {
        name: body.name,
        email: body.email ?? null,
        phone: body.phone ?? null,
        company: body.company ?? null,
        source: body.source ?? null,
        valueCents: body.value ?? null,
      };
      const result = await createLead(commands, details, commandContextOf(ctx));
      respond(ctx, 201, result, `/v1/leads/${result.id}`);
    },
  }),
  route({
    method: 'patch',
    path: '/v1/leads/:id',
    tag: 'crm',
    summary: 'Edit a lead\'s details (the fields named; null clears one)',
    access: WRITERS,
    body: PatchLeadBody,
    headers: ['If-Match'],
    responses: changed,
    async handle(ctx, { body, params, commands }) {
      respond(ctx, 200, await changeLeadDetails(commands, leadId(params.id), changesOf(body), commandContextOf(ctx, ifMatchRevision(ctx))));
    },
  }),
  route({
    method: 'post',
    path: '/v1/leads/:id/status',
    tag: 'crm',
    summary: 'Move a lead: new → contacted | lost, contacted → qualified | lost, qualified → won | lost, lost → new; won is final',
    access: WRITERS,
    body: StatusBody,
    headers: ['If-Match'],
    responses: { ...changed, 409: 'Transition not allowed (LEAD.ILLEGAL_TRANSITION) or archived (LEAD.ARCHIVED)' },
    async handle(ctx, { body, params, commands }) {
      const input = { status: body.status, reason: body.reason ?? null };
      respond(ctx, 200, await changeLeadStatus(commands, leadId(params.id), input, commandContextOf(ctx, ifMatchRevision(ctx))));
    },
  }),
  route({
    method: 'post',
    path: '/v1/leads/:id/assign',
    tag: 'crm',
    summary: 'Assign a lead to a user with the agent, operator or admin role',
    access: WRITERS,
    body: AssignBody,
    headers: ['If-Match'],
    responses: { ...changed, 400: 'Invalid body, or agentId is not such a user (LEAD.UNKNOWN_AGENT)' },
    async handle(ctx, { body, params, commands }) {
      respond(ctx, 200, await assignLead(commands, leadId(params.id), body.agentId, commandContextOf(ctx, ifMatchRevision(ctx))));
    },
  }),
  route({
    method: 'post',
    path: '/v1/leads/:id/archive',
    tag: 'crm',
    summary: 'Archive a lead: it leaves the default list and the stats, and takes no change until unarchived',
    access: WRITERS,
    headers: ['If-Match'],
    responses: { 200: changed[200], 404: changed[404], 412: changed[412] },
    async handle(ctx, { params, commands }) {
      respond(ctx, 200, await archiveLead(commands, leadId(params.id), commandContextOf(ctx, ifMatchRevision(ctx))));
    },
  }),
  route({
    method: 'post',
    path: '/v1/leads/:id/unarchive',
    tag: 'crm',
    summary: 'Bring an archived lead back',
    access: WRITERS,
    headers: ['If-Match'],
    responses: { 200: changed[200], 404: changed[404], 412: changed[412] },
    async handle(ctx, { params, commands }) {
      respond(ctx, 200, await unarchiveLead(commands, leadId(params.id), commandContextOf(ctx, ifMatchRevision(ctx))));
    },
  }),
  route({
    method: 'post',
    path: '/v1/leads/:id/activities',
    tag: 'crm',
    summary: 'Log a call, email, meeting or note on a lead',
    access: WRITERS,
    body: ActivityBody,
    responses: { 201: 'Logged: { id (the activity), leadId, revision, position }', 400: 'Invalid body', 404: 'Unknown lead', 409: 'Archived (LEAD.ARCHIVED)' },
    async handle(ctx, { body, params, commands }) {
      const id = leadId(params.id);
      const result = await logActivity(commands, id, { kind: body.kind, text: body.text, occurredAt: body.occurredAt ?? null }, commandContextOf(ctx));
      respond(ctx, 201, result, `/v1/leads/${id}/activities`);
      ctx.body = { id: result.id, leadId: id, revision: result.revision, position: result.position };
    },
  }),
  route({
    method: 'get',
    path: '/v1/leads/stats',
    tag: 'crm',
    summary: 'Pipeline stats of the leads not archived: count and value by status and owner, conversion rate won / (won + lost)',
    access: READERS,
    headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
    responses: { 200: 'Stats (X-Chorus-Cache: hit or miss)', 503: 'Read model behind X-Chorus-Min-Position' },
    async handle(ctx) {
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, leadsProjection, reader.db);
      await answerCached(ctx, deps, reader, leadsProjection, [], () => leadStats(reader.db));
    },
  }),
  route({
    method: 'get',
    path: '/v1/leads/:id',
    tag: 'crm',
    summary: 'One lead, with its latest activities and AI summary',
    access: READERS,
    headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER, 'If-None-Match'],
    responses: { 200: 'The lead, with ETag', 304: 'Not modified', 404: 'Unknown lead', 503: 'Read model behind' },
    async handle(ctx, { params }) {
      const id = leadId(params.id);
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, leadsProjection, reader.db);
      const lead = await getLead(reader.db, id);
      if (lead === undefined) throw new NotFound('LEAD.NOT_FOUND', `Lead ${id} does not exist`);
      const tag = etag(lead.revision);
      ctx.set('ETag', tag);
      if (noneMatchHits(ctx.get('If-None-Match'), tag)) {
        ctx.status = 304;
        return;
      }
      ctx.body = lead;
    },
  }),
  route({
    method: 'get',
    path: '/v1/leads/:id/activities',
    tag: 'crm',
    summary: 'A lead\'s activities, latest first, a cursor page at a time',
    access: READERS,
    query: ActivitiesQuery,
    headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
    responses: { 200: '{ items, nextCursor }', 400: 'Invalid cursor', 404: 'Unknown lead', 503: 'Read model behind' },
    async handle(ctx, { params, query }) {
      const id = leadId(params.id);
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, leadsProjection, reader.db);
      if (!(await leadExists(reader.db, id))) throw new NotFound('LEAD.NOT_FOUND', `Lead ${id} does not exist`);
      ctx.body = await listActivities(reader.db, id, query);
    },
  }),
  route({
    method: 'get',
    path: '/v1/leads',
    tag: 'crm',
    summary: 'Leads, newest first, by status, owner (a user id or none) and archived, searched by q (full text over name, company, email and activities)',
    access: READERS,
    query: ListQuery,
    headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
    responses: { 200: '{ items, nextCursor }', 400: 'Invalid filter or cursor', 503: 'Read model behind' },
    async handle(ctx, { query }) {
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, leadsProjection, reader.db);
      ctx.body = await listLeads(reader.db, query);
    },
  }),
];
