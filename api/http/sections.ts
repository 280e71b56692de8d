// Routing by section. @koa/router tests every route's pattern against every request, which with a hundred routes
// is a measurable share of a GET's CPU. Routes are grouped by their first two path segments (`/v1/feedback`), each
// group in a router of its own, and a request is matched only against the routes of its own section: a map lookup
// and a handful of patterns. What a request sees does not change: a route whose first two segments are not plain
// words (a parameter, say) is kept in every section in its place, and paths of no section go to a router of
// the remaining routes, which answers 404, 405 and 501 as the single router did.
import Router from '@koa/router';
import type { Middleware } from 'koa';

/** A route and how it is put on a router: `path` is its pattern (`/v1/feedback/:id`). */
export type Registration = Readonly<{ path: string; register(router: Router): void }>;

const PLAIN_SEGMENT = /^[A-Za-z0-9._~-]+$/;
/** The remaining routes: those with fewer than two segments (`/metrics`). */
const REST = '';
/** A route whose section cannot be known from its pattern: it belongs to every section. */
const EVERY = Symbol('every section');

/**
 * The section of a pattern: its first two segments, lower-cased, as the router matches paths case-insensitively.
 * REST when it has fewer than two; EVERY when either holds more than plain characters.
 */
function sectionOfPattern(pattern: string): string | typeof EVERY {
  const segments = pattern.split('/');
  if (segments.length < 3) return REST;
  const [, first, second] = segments as [string, string, string];
  return PLAIN_SEGMENT.test(first) && PLAIN_SEGMENT.test(second) ? `/${first}/${second}`.toLowerCase() : EVERY;
}

/** The section of a request's path; a trailing slash after the second segment belongs to no section name. */
function sectionOfPath(path: string): string {
  const second = path.indexOf('/', 1);
  if (second === -1) return REST;
  const third = path.indexOf('/', second + 1);
  return (third === -1 ? path : path.slice(0, third)).toLowerCase();
}

/** One middleware routing every registration, as `router.routes()` then `router.allowedMethods()` would. */
export function routedBySection(registrations: readonly Registration[]): Middleware {
  const sectionOf = registrations.map((registration) => sectionOfPattern(registration.path));
  const names = new Set<string>([REST, ...sectionOf.filter((section): section is string => section !== EVERY)]);
  const routers = new Map<string, Middleware>();
  for (const name of names) {
    const router = new Router();
    // In registration order: where two patterns match one path, the first registered answers.
    registrations.forEach((registration, index) => {
      if (sectionOf[index] === name || sectionOf[index] === EVERY) registration.register(router);
    });
    // Koa's context becomes a router context as these run; they are typed as taking one already.
    const routes = router.routes() as unknown as Middleware;
    const allowedMethods = router.allowedMethods() as unknown as Middleware; // 405 with Allow, 501 for methods no route knows
    routers.set(name, (ctx, next) => allowedMethods(ctx, () => routes(ctx, next)));
  }
  const rest = routers.get(REST)!;
  return (ctx, next) => (routers.get(sectionOfPath(ctx.path)) ?? rest)(ctx, next);
}
