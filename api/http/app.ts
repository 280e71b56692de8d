import type Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import type { HttpDependencies } from './dependencies.js';
import type { BoundedContext } from '../contexts.js';
import { aiRoutes } from './ai.js';
import { consoleRoutes, loadConsoleAssets } from './console.js';
import { commandCenterRoutes } from './command-center.js';
import { operationsRoutes } from './operations.js';
import { rebuildRoutes } from './rebuilds.js';
import { replayRoutes } from './replays.js';
import { HttpProblem, problemDocuments } from './problem.js';
import { correlation, routePattern } from './request.js';
import { allowedHosts, hardening, jsonWritesOnly } from './hardening.js';
import { securityAudit } from './security-audit.js';
import { mount, openApiDocument, type AnyRoute } from './routes.js';
import { routedBySection, type Registration } from './sections.js';

export const API_VERSION = '0.1.0';

/**
 * The operations and replay routes always; the routes of the contexts it is given (none when this process has no api
 * role), and with them the AI orchestrator over their intents.
 */
export function createHttpApp(deps: HttpDependencies, contexts: readonly Pick<BoundedContext, 'routes' | 'intents'>[]): Koa {
  const orchestrator = contexts.length === 0 ? [] : aiRoutes(deps, contexts.flatMap((context) => context.intents ?? []));
  const routes: readonly AnyRoute[] = [
    ...operationsRoutes(deps),
    ...commandCenterRoutes(deps),
    ...rebuildRoutes(deps),
    ...replayRoutes(deps),
    ...orchestrator,
    ...contexts.flatMap((context) => context.routes(deps)),
  ];
  const openapi = openApiDocument(routes, API_VERSION);
  const registrations: Registration[] = [
    ...routes.map((definition) => ({ path: definition.path, register: (router: Router) => mount(router, [definition], deps) })),
    {
      path: '/openapi.json',
      register: (router: Router) =>
        router.get('/openapi.json', (ctx) => {
          ctx.body = openapi;
        }),
    },
  ];

  const app = new Koa();
  // Behind a proxy, the client is the address that proxy appended last to X-Forwarded-For: anything before it is
  // whatever the client claimed.
  app.proxy = deps.config.trustProxy;
  app.maxIpsCount = 1;
  app.silent = true; // errors are logged by problemDocuments with their correlation id
  app.use(correlation(deps.logger));
  app.use(async (ctx, next) => {
    const stop = deps.metrics.httpDuration.startTimer();
    try {
      await next();
    } finally {
      // The route pattern, not the path, keeps the label set small.
      stop({ method: ctx.method, route: routePattern(ctx) ?? 'unmatched', status: String(ctx.status) });
    }
  });
  for (const middleware of hardening(deps.config)) app.use(middleware);
  app.use(securityAudit(deps));
  app.use(problemDocuments);
  app.use(allowedHosts(deps.config.allowedHosts));
  app.use(consoleRoutes(loadConsoleAssets(), deps.processInfo.version));
  app.use(jsonWritesOnly);
  app.use(unmatchedAsProblems);
  app.use(routedBySection(registrations));
  return app;
}

const unmatched: Readonly<Record<number, [code: string, detail: string]>> = {
  404: ['HTTP.ROUTE_NOT_FOUND', 'No such route'],
  405: ['HTTP.METHOD_NOT_ALLOWED', 'This route does not take that method: see the Allow header'],
  501: ['HTTP.METHOD_NOT_IMPLEMENTED', 'No route takes that method'],
};

/** The router answers unmatched requests with a bare status; give them the same problem documents as the rest. */
async function unmatchedAsProblems(ctx: Context, next: Next): Promise<void> {
  await next();
  const problem = ctx.body == null ? unmatched[ctx.status] : undefined;
  if (problem !== undefined) throw new HttpProblem(ctx.status, ...problem);
}
