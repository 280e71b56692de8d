// The security audit trail as the HTTP layer feeds it: every 401 and 403, failed and locked-out logins and reused
// refresh tokens are recorded from the answer itself, by one middleware; changes to who may do what are recorded
// by their routes, which wait until the entry is stored.
import type { Context, Next } from 'koa';
import type { AuditType } from '../../domain/identity/audit-events.js';
import { actorOf } from './access.js';
import type { HttpDependencies } from './dependencies.js';
import { routePattern } from './request.js';

const REFUSALS: Readonly<Record<string, AuditType>> = {
  'AUTH.INVALID_CREDENTIALS': 'auth.login_failed',
  'AUTH.TOO_MANY_ATTEMPTS': 'auth.locked_out',
  'AUTH.REFRESH_REUSED': 'auth.refresh_reused',
};

function auditTypeOf(status: number, code: string | undefined): AuditType | null {
  if (code !== undefined && REFUSALS[code] !== undefined) return REFUSALS[code];
  if (status === 401) return 'auth.unauthenticated';
  if (status === 403) return 'auth.forbidden';
  return null;
}

const entryOf = (ctx: Context, type: AuditType, subject: string | null, reason: string) => ({
  type,
  actor: actorOf(ctx),
  method: ctx.method,
  route: routePattern(ctx) ?? ctx.path.slice(0, 200),
  ip: ctx.ip.slice(0, 100), // behind a trusted proxy, whatever X-Forwarded-For held
  correlationId: ctx.state.correlationId as string,
  reason,
  subject,
});

/** Records refusals once their answer is known; the request does not wait for the audit trail. */
export function securityAudit(deps: Pick<HttpDependencies, 'identity'>) {
  return async (ctx: Context, next: Next): Promise<void> => {
    await next();
    if (ctx.status !== 401 && ctx.status !== 403 && ctx.status !== 429) return;
    const code = ctx.response.is('application/problem+json') ? (ctx.body as { code?: string } | null)?.code : undefined;
    const type = auditTypeOf(ctx.status, code);
    if (type === null) return;
    const subject = (ctx.state.auditSubject as string | undefined) ?? null;
    // Rejected only when the trail is backed up or closing, which the metrics already count.
    deps.identity.audit.record(entryOf(ctx, type, subject, code ?? String(ctx.status))).catch(() => undefined);
  };
}

/** Records a change made by this request, and waits until it is stored. */
export async function recordAudit(ctx: Context, deps: Pick<HttpDependencies, 'identity'>, type: AuditType, detail: { subject: string; reason: string }): Promise<void> {
  await deps.identity.audit.record(entryOf(ctx, type, detail.subject, detail.reason));
}
