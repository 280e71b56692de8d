// A route is declared once: its zod schemas both validate requests and describe it in /openapi.json.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { CommandDependencies } from '../../application/kernel/handle-command.js';
import { accessOf, API_KEY_HEADER, guard, isHealthProbe, type Guarded } from './access.js';
import type { HttpDependencies } from './dependencies.js';
import { IDEMPOTENCY_HEADER, idempotently } from './idempotency.js';
import { assertStorableStrings, readJsonBody, validate } from './request.js';

export type RouteInput<Body, Query> = Readonly<{
  body: Body;
  query: Query;
  params: Readonly<Record<string, string>>;
  /** What commands run with: ids seeded by the Idempotency-Key when the request has one, so a retry mints the same. */
  commands: CommandDependencies;
}>;

export type Route<Body = unknown, Query = unknown> = Guarded & RouteDefinition<Body, Query>;

type RouteDefinition<Body, Query> = Readonly<{
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Koa style: /v1/feedback/:id */
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodType<Body>;
  query?: z.ZodType<Query>;
  /** The largest body the route takes, when MAX_BODY_BYTES is not enough. */
  maxBodyBytes?: number;
  /** Request headers the route reads, for the documentation. */
  headers?: readonly string[];
  responses: Readonly<Record<number, string>>;
  /** False for a POST whose answer holds a secret (tokens, a new API key): it is never stored for Idempotency-Key retries. */
  idempotent?: false;
  handle(ctx: Context, input: RouteInput<Body, Query>): Promise<void>;
}>;

// Routes with different body and query types share one list; each was type-checked where `route()` declared it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = Route<any, any>;

/** Whether retries with an Idempotency-Key get the stored first answer: every command (POST, PUT, PATCH, DELETE) unless it says otherwise. */
const honoursIdempotencyKey = (definition: AnyRoute): boolean => definition.method !== 'get' && definition.idempotent !== false;

/** Keeps Body and Query inferred from the schemas at each declaration. */
export const route = <Body = undefined, Query = undefined>(definition: Route<Body, Query>): Route<Body, Query> => definition;

/** Registers the routes behind their guard (rate limits, credentials, roles); every POST, PUT, PATCH and DELETE honours Idempotency-Key unless it says otherwise. */
export function mount(router: Router, routes: readonly AnyRoute[], deps: HttpDependencies): void {
  const idempotency = { db: deps.db, leaseMs: deps.config.idempotencyLeaseMs };
  for (const definition of routes) {
    const idempotent = honoursIdempotencyKey(definition);
    router[definition.method](definition.path, async (ctx) => {
      await guard(ctx, definition, deps);
      const body = definition.body === undefined ? undefined : validate(definition.body, await readJsonBody(ctx, definition.maxBodyBytes), 'body');
      assertStorableStrings(ctx.params, 'params');
      assertStorableStrings(ctx.query, 'query');
      const query = definition.query === undefined ? undefined : validate(definition.query, ctx.query, 'query');
      const handle = (ids = deps.commands.ids) =>
        definition.handle(ctx, { body, query, params: ctx.params as Record<string, string>, commands: { ...deps.commands, ids } });
      await (idempotent ? idempotently(idempotency, ctx, body, handle) : handle());
    });
  }
}

export function openApiDocument(routes: readonly AnyRoute[], version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const definition of routes) {
    const path = definition.path.replace(/:(\w+)/g, '{$1}');
    const pathParameters = [...definition.path.matchAll(/:(\w+)/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const queryParameters = definition.query === undefined ? [] : queryParametersOf(definition.query);
    const headers = honoursIdempotencyKey(definition) ? [...(definition.headers ?? []), IDEMPOTENCY_HEADER] : (definition.headers ?? []);
    const headerParameters = headers.map((name) => ({ name, in: 'header', required: false, schema: { type: 'string' } }));
    paths[path] ??= {};
    paths[path][definition.method] = {
      summary: definition.summary,
      tags: [definition.tag],
      parameters: [...pathParameters, ...queryParameters, ...headerParameters],
      ...(definition.body === undefined
        ? {}
        : { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(definition.body, { io: 'input' }) } } } }),
      responses: Object.fromEntries(Object.entries({ ...refusalsOf(definition), ...definition.responses }).map(([status, description]) => [status, { description }])),
      'x-chorus-access': accessOf(definition),
      ...(definition.access === 'anyone' || definition.ignoresCredentials === true ? {} : { security: [{ bearer: [] }, { apiKey: [] }, { apiKeyHeader: [] }] }),
    };
  }
  const securitySchemes = {
    bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    apiKey: { type: 'http', scheme: 'ApiKey', description: 'Authorization: ApiKey <key>' },
    apiKeyHeader: { type: 'apiKey', in: 'header', name: API_KEY_HEADER },
  };
  return { openapi: '3.1.0', info: { title: 'Chorus API', version }, paths, components: { securitySchemes } };
}

function refusalsOf(definition: AnyRoute): Record<number, string> {
  const limited: Record<number, string> = isHealthProbe(definition.path) ? {} : { 429: 'Rate limited (RATE_LIMITED), with Retry-After' };
  if (definition.access === 'anyone') return limited;
  const forbidden: Record<number, string> = definition.access === 'signed-in' ? {} : { 403: 'Signed in without a role this route admits (AUTH.FORBIDDEN)' };
  return { 401: 'No valid credentials', ...forbidden, ...limited };
}

function queryParametersOf(schema: z.ZodType): unknown[] {
  const json = z.toJSONSchema(schema, { io: 'input' }) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}
