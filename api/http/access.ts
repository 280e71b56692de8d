// Who is calling, and may they: credentials are read once per request (a bearer access token, or an API key as
// `Authorization: ApiKey <key>` or `X-API-Key`), counted against the client's and the caller's rate limits, and
// checked against the roles the route admits. Admin is admitted everywhere; other roles are permission sets.
import type { Context } from 'koa';
import { timingSafeEqual } from 'node:crypto';
import { apiKeyPrincipal } from '../../application/identity/api-keys.js';
import type { CommandContext } from '../../application/kernel/handle-command.js';
import { ANONYMOUS, type Actor } from '../../application/ports/event-store.js';
import type { Role } from '../../domain/identity/roles.js';
import { Forbidden, Unauthenticated } from '../../domain/kernel/errors.js';
import type { LimitState } from '../../infrastructure/ratelimit/rate-limits.js';
import type { HttpDependencies } from './dependencies.js';
import { HttpProblem } from './problem.js';

/** Who may call a route: anyone (credentials optional), anyone signed in, or holders of one of these roles (and admins). */
export type Access = 'anyone' | 'signed-in' | readonly Role[];

export type Principal = Readonly<{ sub: string; roles: readonly Role[]; apiKeyId?: string }>;

export type Guarded = Readonly<{
  access: Access;
  /** Credentials are not read at all (the auth routes take theirs in the body; health probes take none). */
  ignoresCredentials?: boolean;
  /** Also admits `Authorization: Bearer <CHORUS_METRICS_TOKEN>` (Prometheus). */
  acceptsMetricsToken?: boolean;
  /** Hashes a password (register, login): a further, tighter limit per client address, as each costs ~100 ms of CPU. */
  hashesPasswords?: boolean;
  /** Runs AI tasks on demand (each may be a paid model call): a further limit per user, counted once the caller is admitted. */
  callsAi?: boolean;
}>;

export const API_KEY_HEADER = 'X-API-Key';

/** Health probes answer anyone, unlimited, whatever the Host: they reveal nothing and must never be refused. */
export const isHealthProbe = (path: string): boolean => path.startsWith('/health/');

/** The caller, for event metadata: `{ sub, roles }` (with the API key's id when one was used), or `{ sub: 'anonymous' }`. */
export function actorOf(ctx: Context): Actor {
  const principal = ctx.state.principal as Principal | undefined;
  if (principal === undefined) return ANONYMOUS;
  const { sub, roles, apiKeyId } = principal;
  return apiKeyId === undefined ? { sub, roles } : { sub, roles, apiKeyId };
}

/** What a command run by this request carries: its correlation id, its caller and, when given, the revision it expects (If-Match). */
export function commandContextOf(ctx: Context, expectedRevision?: number): CommandContext {
  const context: CommandContext = { correlationId: ctx.state.correlationId as string, causationId: null, actor: actorOf(ctx) };
  return expectedRevision === undefined ? context : { ...context, expectedRevision };
}

const signInRequired = (): Unauthenticated => new Unauthenticated('AUTH.REQUIRED', 'Sign in: send Authorization: Bearer <access token> or an API key');

export function principalOf(ctx: Context): Principal {
  const principal = ctx.state.principal as Principal | undefined;
  if (principal === undefined) throw signInRequired();
  return principal;
}

/** Who may call the route, as the README's access table says it: `anyone`, `signed-in`, or the roles (admin always among them). */
export function accessOf(definition: Guarded): string {
  if (definition.access === 'anyone' || definition.access === 'signed-in') return definition.access;
  return ['admin', ...definition.access.filter((role) => role !== 'admin')].join(', ');
}

export const isAdmin = (principal: Principal): boolean => principal.roles.includes('admin');

/** Runs before the route reads its body: rate limits, credentials, roles. Throws the 401, 403 or 429. */
export async function guard(ctx: Context, route: Guarded, deps: HttpDependencies): Promise<void> {
  const limited = !isHealthProbe(ctx.path);
  if (limited) admit(ctx, await deps.identity.limits.perIp.take(ctx.ip));
  if (route.hashesPasswords === true) admit(ctx, await deps.identity.limits.passwordAttempts.take(ctx.ip));
  if (route.acceptsMetricsToken === true && isMetricsToken(ctx.get('Authorization'), deps)) return;
  const principal = route.ignoresCredentials === true ? null : await authenticate(ctx, deps);
  if (principal !== null) {
    ctx.state.principal = principal;
    if (limited) admit(ctx, await deps.identity.limits.perUser.take(principal.sub));
  }
  if (route.access === 'anyone') return;
  if (principal === null) throw signInRequired();
  if (!(route.access === 'signed-in' || isAdmin(principal) || route.access.some((role) => principal.roles.includes(role)))) {
    throw new Forbidden('AUTH.FORBIDDEN', `This needs one of the roles ${accessOf(route)}`);
  }
  if (route.callsAi === true) admit(ctx, await deps.identity.limits.aiRequests.take(principal.sub));
}

async function authenticate(ctx: Context, deps: HttpDependencies): Promise<Principal | null> {
  const authorization = ctx.get('Authorization');
  const headerKey = ctx.get(API_KEY_HEADER);
  if (authorization === '' && headerKey === '') return null;
  if (authorization !== '' && headerKey !== '') {
    throw new Unauthenticated('AUTH.AMBIGUOUS_CREDENTIALS', `Send either Authorization or ${API_KEY_HEADER}, not both`);
  }
  if (headerKey !== '') return keyPrincipal(deps, headerKey);
  const space = authorization.indexOf(' ');
  const scheme = space === -1 ? authorization : authorization.slice(0, space);
  const credentials = space === -1 ? '' : authorization.slice(space + 1).trim();
  switch (scheme.toLowerCase()) {
    case 'bearer': {
      const claims = await deps.identity.tokens.verify(credentials);
      return { sub: claims.sub, roles: claims.roles };
    }
    case 'apikey':
      return keyPrincipal(deps, credentials);
    default:
      throw new Unauthenticated('AUTH.UNSUPPORTED_SCHEME', 'Authorization takes Bearer <access token> or ApiKey <key>');
  }
}

async function keyPrincipal(deps: HttpDependencies, key: string): Promise<Principal> {
  const principal = await apiKeyPrincipal(deps.store, key);
  if (principal === null) throw new Unauthenticated('AUTH.INVALID_API_KEY', 'The API key is not valid: unknown or revoked');
  return principal;
}

function isMetricsToken(authorization: string, deps: HttpDependencies): boolean {
  const expected = deps.config.metricsToken?.reveal();
  if (expected === undefined || !authorization.startsWith('Bearer ')) return false;
  const given = Buffer.from(authorization.slice('Bearer '.length).trim(), 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Announces the tighter of the limits seen so far; over one, refuses with 429. */
function admit(ctx: Context, state: LimitState): void {
  const shown = ctx.state.rateLimit as LimitState | undefined;
  if (shown === undefined || !state.allowed || state.remaining < shown.remaining) {
    ctx.state.rateLimit = state;
    ctx.set({ 'RateLimit-Limit': String(state.limit), 'RateLimit-Remaining': String(state.remaining), 'RateLimit-Reset': String(state.resetSeconds) });
  }
  if (!state.allowed) {
    throw new HttpProblem(429, 'RATE_LIMITED', `Too many requests: at most ${state.limit} a minute; try again in ${state.resetSeconds} s`, {
      'Retry-After': String(state.resetSeconds),
    });
  }
}
