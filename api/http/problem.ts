// Every error leaves as application/problem+json with a stable code. 4xx details reach the client;
// 5xx details reach only the log, under the request's correlation id.
import type { Context, Next } from 'koa';
import { attemptRecordOf, type AllProvidersFailed } from '../../application/ai/provider-chain.js';
import { ChorusError, RateLimited, Unauthenticated, type FieldError } from '../../domain/kernel/errors.js';
import { isTransientError } from '../../infrastructure/db/transient-errors.js';

/** Errors that belong to HTTP itself (bad media type, oversized body, ...), not to the domain. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

type Problem = { status: number; code: string; title: string; detail: string; errors?: readonly FieldError[] };

/** Also titles the answers to requests Node's parser refuses (see answerClientError). */
export const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * 502 when every AI provider failed, with each attempt (describeError's: bounded, credentials masked, no upstream
 * body beyond the provider's one-line message). Answered, not thrown: the attempts are members of the document.
 */
export function answerAllProvidersFailed(ctx: Context, error: AllProvidersFailed, what: string, members: Readonly<Record<string, unknown>> = {}): void {
  ctx.status = 502;
  ctx.type = 'application/problem+json';
  ctx.body = {
    type: `urn:chorus:problem:${error.code}`,
    instance: ctx.path,
    status: 502,
    code: error.code,
    title: titles[502],
    detail: `Every AI provider failed to ${what}: ${error.attempts.map(({ provider }) => provider).join(', ')}`,
    ...members,
    attempts: error.attempts.map(attemptRecordOf),
  };
}

export async function problemDocuments(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    const problem = toProblem(error, ctx);
    if (problem.status >= 500) {
      // A 503 with Retry-After is load shed by design (a bounded wait ran out, a busy renderer): a warning, not an error.
      const shed = error instanceof HttpProblem && error.headers['Retry-After'] !== undefined;
      ctx.state.log?.[shed ? 'warn' : 'error']({ err: error }, 'request failed');
    }
    if (error instanceof HttpProblem) ctx.set(error.headers);
    if (error instanceof Unauthenticated) ctx.set('WWW-Authenticate', `Bearer realm="chorus"${ctx.get('Authorization') === '' ? '' : ', error="invalid_token"'}`);
    if (error instanceof RateLimited) ctx.set('Retry-After', String(error.retryAfterSeconds));
    ctx.status = problem.status;
    ctx.type = 'application/problem+json';
    ctx.body = { type: `urn:chorus:problem:${problem.code}`, instance: ctx.path, ...problem };
  }
}

function toProblem(error: unknown, ctx: Context): Problem {
  if (error instanceof ChorusError) {
    const status = statusOf(error, ctx);
    const errors = 'errors' in error ? (error.errors as readonly FieldError[]) : undefined;
    return { status, code: error.code, title: titles[status]!, detail: error.message, ...(errors?.length ? { errors } : {}) };
  }
  if (error instanceof HttpProblem) {
    return { status: error.status, code: error.code, title: titles[error.status] ?? 'Error', detail: error.message };
  }
  // Errors from Koa and its middleware (http-errors) say whether their message is safe to show.
  const http = error as { status?: unknown; expose?: unknown; message?: unknown } | null;
  if (typeof http?.status === 'number' && http.status >= 400 && http.status < 500 && http.expose === true) {
    return { status: http.status, code: `HTTP.${http.status}`, title: titles[http.status] ?? 'Error', detail: String(http.message) };
  }
  if (isTransientError(error)) {
    // The database connection dropped (or a lock or serialization conflict) mid-request: worth a retry, not a bug.
    // The write may still have committed, so a retry should carry the same Idempotency-Key.
    ctx.set('Retry-After', '1');
    return { status: 503, code: 'SERVICE.UNAVAILABLE', title: titles[503]!, detail: 'The service is briefly unavailable; try again shortly.' };
  }
  return {
    status: 500,
    code: 'INTERNAL',
    title: titles[500]!,
    detail: `Something went wrong on our side. Quote correlation id ${String(ctx.state.correlationId)} when reporting it.`,
  };
}

function statusOf(error: ChorusError, ctx: Context): number {
  switch (error.kind) {
    case 'validation':
      return 400;
    case 'unauthenticated':
      return 401;
    case 'forbidden':
      return 403;
    case 'rate_limited':
      return 429;
    case 'not_found':
      return 404;
    case 'illegal_state':
      return 409;
    case 'wrong_expected_revision':
      // With If-Match the client stated a precondition; without it, it simply lost a race.
      return ctx.get('If-Match') === '' ? 409 : 412;
  }
}
