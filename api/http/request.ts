// Reading requests: correlation ids, JSON bodies within limits, zod validation into field errors.
import getRawBody from 'raw-body';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { v7 as uuidv7 } from 'uuid';
import { ValidationError } from '../../domain/kernel/errors.js';
import { HttpProblem } from './problem.js';

export const MAX_BODY_BYTES = 1024 * 1024;
const SAFE_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a well-formed X-Correlation-ID or makes one, echoes it, and logs the request under it. */
export function correlation(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const incoming = ctx.get('X-Correlation-ID');
    const correlationId = SAFE_CORRELATION_ID.test(incoming) ? incoming : uuidv7();
    const log = logger.child({ correlationId });
    ctx.state.correlationId = correlationId;
    ctx.state.log = log;
    ctx.set('X-Correlation-ID', correlationId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  };
}

export async function readJsonBody(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) {
    throw new HttpProblem(415, 'HTTP.UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
  }
  let raw: string;
  try {
    raw = await getRawBody(ctx.req, { limit: MAX_BODY_BYTES, encoding: 'utf8', length: ctx.get('Content-Length') || undefined });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') throw new HttpProblem(413, 'HTTP.BODY_TOO_LARGE', `The body may be at most ${MAX_BODY_BYTES} bytes`);
    throw new HttpProblem(400, 'HTTP.UNREADABLE_BODY', 'The request body could not be read');
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpProblem(400, 'HTTP.MALFORMED_JSON', 'The body is not valid JSON');
  }
}

/** Validates `value` against `schema`; failures become a 400 with one field error per problem. */
export function validate<Schema extends z.ZodType>(schema: Schema, value: unknown, where: 'body' | 'query' | 'headers'): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new ValidationError('REQUEST.INVALID', `The request ${where} is invalid`, errors);
}
