// Registration, login and sessions, the caller's own profile, API keys, roles and the security audit trail.
import { z } from 'zod';
import { createApiKey, revokeApiKey } from '../../application/identity/api-keys.js';
import { login, loginSubject, logout, refresh, type SessionDependencies } from '../../application/identity/sessions.js';
import { changeUserRoles, loadUser, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, registerUser } from '../../application/identity/users.js';
import { API_KEY_NAME_MAX_LENGTH } from '../../domain/identity/api-key-events.js';
import { AUDIT_TYPES } from '../../domain/identity/audit-events.js';
import { EMAIL_MAX_LENGTH } from '../../domain/identity/email.js';
import { ROLES } from '../../domain/identity/roles.js';
import { DISPLAY_NAME_MAX_LENGTH } from '../../domain/identity/user-events.js';
import { Forbidden, NotFound } from '../../domain/kernel/errors.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import { apiKeysProjection } from '../../projections/identity/api-keys-projection.js';
import { auditProjection } from '../../projections/identity/audit-projection.js';
import { listApiKeys, listAudit } from '../../projections/identity/identity-queries.js';
import { commandContextOf, isAdmin, principalOf } from './access.js';
import type { HttpDependencies } from './dependencies.js';
import { CONSISTENCY_HEADER, readDatabase } from './read-database.js';
import { awaitMinPosition, MIN_POSITION_HEADER } from './read-your-writes.js';
import { route } from './routes.js';
import { recordAudit } from './security-audit.js';

const Email = z.string().min(3).max(EMAIL_MAX_LENGTH);
const Password = z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH);
const Roles = z.array(z.enum(ROLES)).max(ROLES.length).refine((roles) => new Set(roles).size === roles.length, 'each role at most once');

const RegisterBody = z.strictObject({ email: Email, password: Password, displayName: z.string().trim().min(1).max(DISPLAY_NAME_MAX_LENGTH) });
// A login takes any password its length allows: a rule tightened later must not lock anyone out.
const LoginBody = z.strictObject({ email: z.string().min(1).max(EMAIL_MAX_LENGTH), password: z.string().min(1).max(PASSWORD_MAX_LENGTH) });
const RefreshBody = z.strictObject({ refreshToken: z.string().min(1).max(200) });
const CreateApiKeyBody = z.strictObject({ name: z.string().trim().min(1).max(API_KEY_NAME_MAX_LENGTH), roles: Roles.min(1) });
const RolesBody = z.strictObject({ roles: Roles });
const PageQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: z.string().min(1).max(500).optional() });
/** An instant with its offset, in years 1 to 9999: what both PostgreSQL drivers write alike. */
const Instant = z.iso.datetime({ offset: true }).refine((value) => !value.startsWith('0000'), 'a year from 1 to 9999');
const AuditQuery = z.strictObject({
  type: z.enum(AUDIT_TYPES).optional(),
  actor: z.string().min(1).max(200).optional(),
  since: Instant.optional(),
  until: Instant.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(500).optional(),
});

function idParam(id: string | undefined, what: 'USER' | 'APIKEY'): string {
  if (id === undefined || !isUuid(id)) throw new NotFound(`${what}.NOT_FOUND`, `${what === 'USER' ? 'User' : 'API key'} ${id ?? ''} does not exist`);
  return id.toLowerCase();
}

export const identityRoutes = (deps: HttpDependencies) => {
  const sessions: SessionDependencies = {
    ...deps.commands,
    hasher: deps.identity.hasher,
    credentials: deps.identity.credentials,
    tokens: deps.identity.tokens,
    loginAttempts: deps.identity.limits.loginAttempts,
    refreshTokenTtlMs: deps.config.refreshTokenTtlSeconds * 1000,
  };
  return [
    route({
      method: 'post',
      path: '/v1/auth/register',
      tag: 'identity',
      summary: 'Register a user (role member); refused while CHORUS_SIGNUP=closed',
      access: 'anyone',
      ignoresCredentials: true,
      hashesPasswords: true,
      body: RegisterBody,
      responses: { 201: '{ id }', 400: 'Invalid body', 403: 'Signup closed (AUTH.SIGNUP_CLOSED)', 409: 'Email taken (USER.EMAIL_TAKEN)' },
      async handle(ctx, { body, commands }) {
        if (deps.config.signup === 'closed') throw new Forbidden('AUTH.SIGNUP_CLOSED', 'Registration is closed: ask an administrator for an account');
        const registered = await registerUser(
          { ...commands, hasher: deps.identity.hasher, credentials: deps.identity.credentials },
          { email: body.email, password: body.password, displayName: body.displayName, roles: ['member'] },
          commandContextOf(ctx),
        );
        // No Location: no route reads one user back yet (GET /v1/me is the user's own view).
        ctx.status = 201;
        if (registered.position !== null) ctx.set('X-Chorus-Position', registered.position);
        ctx.body = { id: registered.id };
      },
    }),
    route({
      method: 'post',
      path: '/v1/auth/login',
      tag: 'identity',
      summary: 'Exchange email and password for an access token and a refresh token',
      access: 'anyone',
      ignoresCredentials: true,
      hashesPasswords: true,
      idempotent: false,
      body: LoginBody,
      responses: { 200: '{ accessToken, refreshToken, tokenType, expiresIn }', 401: 'Wrong email or password (AUTH.INVALID_CREDENTIALS)', 429: 'Locked out after 5 failures in 15 minutes (AUTH.TOO_MANY_ATTEMPTS)' },
      async handle(ctx, { body }) {
        ctx.state.auditSubject = loginSubject(body.email);
        ctx.body = await login(sessions, body, commandContextOf(ctx));
      },
    }),
    route({
      method: 'post',
      path: '/v1/auth/refresh',
      tag: 'identity',
      summary: 'Rotate a refresh token: the new pair carries the roles the user holds now; a token used twice revokes its session',
      access: 'anyone',
      ignoresCredentials: true,
      idempotent: false,
      body: RefreshBody,
      responses: { 200: '{ accessToken, refreshToken, tokenType, expiresIn }', 401: 'Invalid (AUTH.INVALID_REFRESH_TOKEN) or reused (AUTH.REFRESH_REUSED)' },
      async handle(ctx, { body }) {
        ctx.body = await refresh(sessions, body.refreshToken, commandContextOf(ctx));
      },
    }),
    route({
      method: 'post',
      path: '/v1/auth/logout',
      tag: 'identity',
      summary: 'End the session of a refresh token: every token of it stops working',
      access: 'anyone',
      ignoresCredentials: true,
      idempotent: false,
      body: RefreshBody,
      responses: { 204: 'Logged out', 401: 'Not a refresh token this API issued (AUTH.INVALID_REFRESH_TOKEN)' },
      async handle(ctx, { body }) {
        await logout(sessions, body.refreshToken, commandContextOf(ctx));
        ctx.status = 204;
      },
    }),
    route({
      method: 'get',
      path: '/v1/me',
      tag: 'identity',
      summary: 'Who the credentials belong to, and the roles they act with',
      access: 'signed-in',
      responses: { 200: '{ id, email, displayName, roles }' },
      async handle(ctx) {
        const principal = principalOf(ctx);
        const user = await loadUser(deps.store, principal.sub);
        // A development token (chorus token) may name nobody registered.
        const known = user.status === 'initial' ? { email: null, displayName: null } : { email: user.email, displayName: user.displayName };
        ctx.body = { id: principal.sub, ...known, roles: principal.roles, ...(principal.apiKeyId === undefined ? {} : { apiKeyId: principal.apiKeyId }) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/api-keys',
      tag: 'identity',
      summary: 'Create an API key holding some of your roles; the key is in this answer only',
      access: 'signed-in',
      idempotent: false,
      body: CreateApiKeyBody,
      responses: { 201: '{ id, key, name, roles }', 403: 'A role you do not hold (AUTH.ROLE_NOT_HELD)' },
      async handle(ctx, { body, commands }) {
        const principal = principalOf(ctx);
        const created = await createApiKey(commands, body, principal, commandContextOf(ctx));
        await recordAudit(ctx, deps, 'apikey.created', { subject: `apikey:${created.id}`, reason: `${body.name}: ${body.roles.join(', ')}` });
        ctx.status = 201;
        if (created.position !== null) ctx.set('X-Chorus-Position', created.position);
        ctx.body = { id: created.id, key: created.key, name: body.name, roles: body.roles, position: created.position };
      },
    }),
    route({
      method: 'get',
      path: '/v1/api-keys',
      tag: 'identity',
      summary: 'Your API keys (an admin sees everyone\'s), newest first; never the keys themselves',
      access: 'signed-in',
      query: PageQuery,
      headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
      responses: { 200: '{ items, nextCursor }' },
      async handle(ctx, { query }) {
        const principal = principalOf(ctx);
        const reader = readDatabase(ctx, deps);
        await awaitMinPosition(ctx, deps, apiKeysProjection, reader.db);
        ctx.body = await listApiKeys(reader.db, { ...query, ...(isAdmin(principal) ? {} : { ownerId: principal.sub }) });
      },
    }),
    route({
      method: 'post',
      path: '/v1/api-keys/:id/revoke',
      tag: 'identity',
      summary: 'Revoke an API key (yours, or any as an admin): it stops working at once',
      access: 'signed-in',
      responses: { 200: '{ id, revision, position }', 404: 'Unknown key (APIKEY.NOT_FOUND)' },
      async handle(ctx, { params, commands }) {
        const principal = principalOf(ctx);
        const id = idParam(params.id, 'APIKEY');
        const result = await revokeApiKey(commands, id, { sub: principal.sub, admin: isAdmin(principal) }, commandContextOf(ctx));
        if (result.revoked) await recordAudit(ctx, deps, 'apikey.revoked', { subject: `apikey:${id}`, reason: 'revoked' });
        if (result.position !== null) ctx.set('X-Chorus-Position', result.position);
        ctx.body = { id, revision: result.revision, position: result.position };
      },
    }),
    route({
      method: 'post',
      path: '/v1/users/:id/roles',
      tag: 'identity',
      summary: "Set a user's roles; they take effect at the user's next token refresh",
      access: ['admin'],
      body: RolesBody,
      responses: { 200: '{ id, revision, position, roles }', 404: 'Unknown user (USER.NOT_FOUND)' },
      async handle(ctx, { body, params, commands }) {
        const id = idParam(params.id, 'USER');
        const result = await changeUserRoles(commands, id, body.roles, commandContextOf(ctx));
        if (result.changed) await recordAudit(ctx, deps, 'user.roles_changed', { subject: `user:${id}`, reason: `roles: ${body.roles.join(', ') || 'none'}` });
        if (result.position !== null) ctx.set('X-Chorus-Position', result.position);
        ctx.body = { id, revision: result.revision, position: result.position, roles: body.roles };
      },
    }),
    route({
      method: 'get',
      path: '/v1/audit',
      tag: 'identity',
      summary: 'The security audit trail, newest first, by type, actor and time',
      access: ['admin'],
      query: AuditQuery,
      headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
      responses: { 200: '{ items, nextCursor }', 400: 'Invalid filter or cursor' },
      async handle(ctx, { query }) {
        const reader = readDatabase(ctx, deps);
        await awaitMinPosition(ctx, deps, auditProjection, reader.db);
        const { since, until, ...rest } = query;
        ctx.body = await listAudit(reader.db, { ...rest, ...(since === undefined ? {} : { since: new Date(since) }), ...(until === undefined ? {} : { until: new Date(until) }) });
      },
    }),
  ];
};
