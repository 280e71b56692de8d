// Defences that hold for every route: the Host header against CHORUS_ALLOWED_HOSTS (DNS rebinding), JSON-only
// writes (a cross-site HTML form cannot post without a CORS preflight), no caching of answers, CORS by allow-list
// and the usual security headers.
import cors from '@koa/cors';
import type { Context, Middleware, Next } from 'koa';
import helmet from 'koa-helmet';
import type { Config } from '../../infrastructure/config.js';
import { API_KEY_HEADER, isHealthProbe } from './access.js';
import { HttpProblem } from './problem.js';

/** Answers are personal or change with every write: no browser or proxy keeps one. Routes may say otherwise. */
export async function noStore(ctx: Context, next: Next): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  await next();
}

/** A host name matches itself with any port; `*.example.com` matches its subdomains; `host:port` only that port. */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const given = host.toLowerCase();
  const name = given.startsWith('[') ? given.slice(0, given.indexOf(']') + 1) : given.replace(/:\d+$/, '');
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase();
    if (pattern.startsWith('*.')) return name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1;
    return pattern === given || pattern === name;
  });
}

/** Refuses requests for other hosts (health probes excepted: they name the pod, and reveal nothing). */
export function allowedHosts(allowed: readonly string[] | undefined): Middleware {
  return async (ctx, next) => {
    if (allowed !== undefined && !isHealthProbe(ctx.path) && !hostAllowed(ctx.get('Host'), allowed)) {
      throw new HttpProblem(400, 'HTTP.HOST_NOT_ALLOWED', 'This server does not answer for that Host');
    }
    await next();
  };
}

const BODILESS_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every write is JSON, or has no body and no content type at all: an HTML form's types (urlencoded, multipart,
 * text/plain) are refused before any route runs, whatever the route does with its body.
 */
export async function jsonWritesOnly(ctx: Context, next: Next): Promise<void> {
  if (!BODILESS_METHODS.has(ctx.method)) {
    const type = ctx.get('Content-Type');
    const hasBody = ctx.get('Transfer-Encoding') !== '' || Number(ctx.get('Content-Length') || '0') > 0;
    const media = type.split(';')[0]!.trim().toLowerCase();
    if ((type !== '' || hasBody) && media !== 'application/json') {
      throw new HttpProblem(415, 'HTTP.UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json (or no body and no Content-Type)');
    }
  }
  await next();
}

const REQUEST_HEADERS = ['Authorization', API_KEY_HEADER, 'Content-Type', 'Idempotency-Key', 'If-Match', 'If-None-Match', 'X-Correlation-ID', 'X-Chorus-Min-Position', 'X-Chorus-Consistency', 'Last-Event-ID'];
const RESPONSE_HEADERS = ['ETag', 'Location', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Correlation-ID', 'X-Chorus-Position', 'X-Chorus-Cache', 'WWW-Authenticate'];

/** Browsers on these origins may call the API; credentials travel in headers, never cookies. */
export function corsAllowList(origins: readonly string[]): Middleware {
  const allowed = new Set(origins);
  return cors({
    origin: (ctx) => (allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: REQUEST_HEADERS,
    exposeHeaders: RESPONSE_HEADERS,
    maxAge: 600,
    credentials: false,
  });
}

/** Helmet's headers, with a policy for an API that serves no pages: nothing may load, nothing may frame it. */
export const securityHeaders = (): Middleware =>
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    xFrameOptions: { action: 'deny' }, // as frame-ancestors 'none' says, for browsers that only know this header
  }) as Middleware;

export const hardening = (config: Config): Middleware[] => [securityHeaders(), corsAllowList(config.corsOrigins), noStore];
