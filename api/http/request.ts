// Reading requests: correlation ids, JSON bodies within limits, zod validation into field errors, and an answer
// for requests Node's parser refuses before they reach Koa.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import getRawBody from 'raw-body';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { ValidationError } from '../../domain/kernel/errors.js';
import { newUuidV7 } from '../../infrastructure/clock-and-ids.js';
import { HttpProblem, titles } from './problem.js';

/** Every body the API takes is far smaller; a route that needs more says so with `maxBodyBytes`. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Far deeper than any body the API takes, shallow enough that walking the parsed value costs nothing. */
export const MAX_JSON_DEPTH = 32;
const SAFE_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Accepts a well-formed X-Correlation-ID or makes one, echoes it, and logs the request under it. The request's
 * own logger (`ctx.state.log`) is made when something first logs with it: most requests never do, and a pino
 * child per request is a measurable share of a GET.
 */
export function correlation(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const incoming = ctx.get('X-Correlation-ID');
    const correlationId = SAFE_CORRELATION_ID.test(incoming) ? incoming : newUuidV7();
    let log: Logger | undefined;
    ctx.state.correlationId = correlationId;
    Object.defineProperty(ctx.state, 'log', { get: () => (log ??= logger.child({ correlationId })), enumerable: true });
    ctx.set('X-Correlation-ID', correlationId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      if (logger.isLevelEnabled('info')) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        logger.info({ correlationId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
      }
    }
  };
}

/** The pattern of the route that matched (`/v1/feedback/:id`), once the router has run; undefined before or without one. */
export const routePattern = (ctx: Context): string | undefined => (ctx as { _matchedRoute?: string })._matchedRoute;

/** The JSON body of the request, refused with a problem unless it is UTF-8 JSON that PostgreSQL's jsonb can store. */
export async function readJsonBody(ctx: Context, maxBodyBytes: number = MAX_BODY_BYTES): Promise<unknown> {
  if (!ctx.is('application/json')) {
    throw new HttpProblem(415, 'HTTP.UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
  }
  if (!UTF8_CHARSETS.has(ctx.request.charset.toLowerCase())) {
    throw new HttpProblem(415, 'HTTP.UNSUPPORTED_CHARSET', 'Send the body as UTF-8, with no charset or charset=utf-8');
  }
  const encoding = ctx.get('Content-Encoding').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new HttpProblem(415, 'HTTP.UNSUPPORTED_ENCODING', 'Send the body without a Content-Encoding', { 'Accept-Encoding': 'identity' });
  }
  let bytes: Buffer;
  try {
    bytes = await getRawBody(ctx.req, { limit: maxBodyBytes, length: ctx.get('Content-Length') || undefined });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') throw new HttpProblem(413, 'HTTP.BODY_TOO_LARGE', `The body may be at most ${maxBodyBytes} bytes`);
    throw new HttpProblem(400, 'HTTP.UNREADABLE_BODY', 'The request body could not be read');
  }
  let text: string;
  try {
    // A lenient decoder would store U+FFFD in place of what the client sent.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpProblem(400, 'HTTP.INVALID_UTF8', 'The body is not valid UTF-8');
  }
  // Checked before parsing: deep nesting costs every later step (parse, validation, logging) time and stack.
  if (exceedsDepth(text, MAX_JSON_DEPTH)) {
    throw new HttpProblem(400, 'HTTP.JSON_TOO_DEEP', `Arrays and objects in the body may nest at most ${MAX_JSON_DEPTH} deep`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpProblem(400, 'HTTP.MALFORMED_JSON', 'The body is not valid JSON');
  }
  assertStorableStrings(value, 'body');
  return value;
}

const UTF8_CHARSETS = new Set(['', 'utf-8', 'utf8']);

/** Whether brackets outside strings nest deeper than `limit`; malformed text is left to JSON.parse. */
function exceedsDepth(json: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let at = 0; at < json.length; at++) {
    const char = json[at];
    if (inString) {
      if (char === '\\') at++; // the escaped character cannot end the string
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === '[' || char === '{') {
      if (++depth > limit) return true;
    } else if (char === ']' || char === '}') {
      depth--;
    }
  }
  return false;
}

/** With the u flag a surrogate pair is one code point, so only a lone half matches. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * JSON escapes (and %00 in a query or a path) can spell what PostgreSQL refuses in text and jsonb (22021, 22P02,
 * 22P05) and no Unicode text holds: a lone UTF-16 surrogate ("\ud800") or U+0000. Refusing them here, in keys
 * and values alike, keeps them from every handler and store. The depth is bounded, so the recursion is too.
 */
export function assertStorableStrings(value: unknown, path: string): void {
  if (typeof value === 'string') {
    assertStorableString(value, path, 'value');
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => assertStorableStrings(item, `${path}.${index}`));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      assertStorableString(key, path, 'key');
      assertStorableStrings(item, `${path}.${key}`);
    }
  }
}

function assertStorableString(text: string, path: string, part: 'key' | 'value'): void {
  const where = part === 'key' ? 'A key here holds' : 'Holds';
  if (LONE_SURROGATE.test(text)) {
    throw new ValidationError('HTTP.INVALID_UNICODE', 'The body holds a lone UTF-16 surrogate, which is not text', [
      { path, message: `${where} a lone UTF-16 surrogate` },
    ]);
  }
  if (text.includes('\u0000')) {
    throw new ValidationError('HTTP.UNSUPPORTED_CHARACTER', 'The body holds the character U+0000, which cannot be stored', [
      { path, message: `${where} U+0000` },
    ]);
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

type ClientError = Error & { code?: string };

/**
 * How long a refused connection stays open after the answer: closing while the client still sends would reset the
 * connection, and a reset can discard the answer before the client reads it.
 */
const LINGER_MS = 1000;

/**
 * Answers what Node's HTTP parser refuses before Koa sees a request (oversized headers, a malformed request, one
 * slower than requestTimeout) with a problem document like any other error, then closes the connection.
 */
export function answerClientError(error: ClientError, socket: Duplex): void {
  // As Node's own answer does: write nothing once a response on this connection has begun.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const [status, code, detail] = clientErrorProblem(error);
  const title = titles[status] ?? 'Error';
  const body = JSON.stringify({ type: `urn:chorus:problem:${code}`, status, code, title, detail });
  const head = [`HTTP/1.1 ${status} ${title}`, 'Content-Type: application/problem+json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function clientErrorProblem(error: ClientError): [status: number, code: string, detail: string] {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'HTTP.HEADERS_TOO_LARGE', 'The request headers are too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'HTTP.REQUEST_TIMEOUT', 'The request did not arrive in time'];
    default:
      return [400, 'HTTP.MALFORMED_REQUEST', 'The request is not well-formed HTTP'];
  }
}
