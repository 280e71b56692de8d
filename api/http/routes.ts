// A route is declared once: its zod schemas both validate requests and describe it in /openapi.json.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { CommandDependencies } from '../../application/kernel/handle-command.js';
import { IDEMPOTENCY_HEADER, idempotently, type IdempotencyOptions } from './idempotency.js';
import { assertStorableStrings, readJsonBody, validate } from './request.js';

export type RouteInput<Body, Query> = Readonly<{
  body: Body;
  query: Query;
  params: Readonly<Record<string, string>>;
  /** What commands run with: ids seeded by the Idempotency-Key when the request has one, so a retry mints the same. */
  commands: CommandDependencies;
}>;

export type Route<Body = unknown, Query = unknown> = Readonly<{
  method: 'get' | 'post';
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
  handle(ctx: Context, input: RouteInput<Body, Query>): Promise<void>;
}>;

// Routes with different body and query types share one list; each was type-checked where `route()` declared it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = Route<any, any>;

/** Keeps Body and Query inferred from the schemas at each declaration. */
export const route = <Body = undefined, Query = undefined>(definition: Route<Body, Query>): Route<Body, Query> => definition;

/** Registers the routes; every POST honours Idempotency-Key. */
export function mount(router: Router, routes: readonly AnyRoute[], deps: { commands: CommandDependencies; idempotency: IdempotencyOptions }): void {
  for (const definition of routes) {
    router[definition.method](definition.path, async (ctx) => {
      const body = definition.body === undefined ? undefined : validate(definition.body, await readJsonBody(ctx, definition.maxBodyBytes), 'body');
      assertStorableStrings(ctx.params, 'params');
      assertStorableStrings(ctx.query, 'query');
      const query = definition.query === undefined ? undefined : validate(definition.query, ctx.query, 'query');
      const handle = (ids = deps.commands.ids) =>
        definition.handle(ctx, { body, query, params: ctx.params as Record<string, string>, commands: { ...deps.commands, ids } });
      await (definition.method === 'post' ? idempotently(deps.idempotency, ctx, body, handle) : handle());
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
    const headers = definition.method === 'post' ? [...(definition.headers ?? []), IDEMPOTENCY_HEADER] : (definition.headers ?? []);
    const headerParameters = headers.map((name) => ({ name, in: 'header', required: false, schema: { type: 'string' } }));
    paths[path] ??= {};
    paths[path][definition.method] = {
      summary: definition.summary,
      tags: [definition.tag],
      parameters: [...pathParameters, ...queryParameters, ...headerParameters],
      ...(definition.body === undefined
        ? {}
        : { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(definition.body, { io: 'input' }) } } } }),
      responses: Object.fromEntries(Object.entries(definition.responses).map(([status, description]) => [status, { description }])),
    };
  }
  return { openapi: '3.1.0', info: { title: 'Chorus API', version }, paths };
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
