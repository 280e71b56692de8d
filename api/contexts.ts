// The bounded contexts this Chorus hosts: each context module joined with its HTTP routes. Adding a context is
// its files plus one line here.
import type { Migrations } from '../infrastructure/db/migrations.js';
import type { ContextModule } from '../projections/context-module.js';
import { crmModule } from '../projections/crm/module.js';
import { diagramsModule } from '../projections/diagrams/module.js';
import { draftsModule } from '../projections/drafts/module.js';
import { feedbackModule } from '../projections/feedback/module.js';
import { pollsModule } from '../projections/polls/module.js';
import type { HttpDependencies } from './http/dependencies.js';
import { draftsRoutes } from './http/drafts.js';
import { crmRoutes } from './http/crm.js';
import { diagramExportRoutes } from './http/diagram-export.js';
import { diagramGenerationRoutes } from './http/diagram-generation.js';
import { diagramsRoutes } from './http/diagrams.js';
import { draftsDashboardRoutes } from './http/drafts-dashboard.js';
import { feedbackRoutes } from './http/feedback.js';
import { pollsRoutes } from './http/polls.js';
import { pollEngagementRoutes } from './http/poll-engagement.js';
import { identityRoutes } from './http/identity.js';
import { socialRoutes } from './http/social.js';
import { identityModule } from '../projections/identity/module.js';
import { opsModule } from '../projections/ops/module.js';
import { idempotencyMigrations } from './http/idempotency-schema.js';
import type { AnyRoute } from './http/routes.js';

export type BoundedContext = ContextModule & Readonly<{ routes(deps: HttpDependencies): readonly AnyRoute[] }>;

export const context = (module: ContextModule, routes: (deps: HttpDependencies) => readonly AnyRoute[]): BoundedContext => ({ ...module, routes });

export const contexts: readonly BoundedContext[] = [
  context(identityModule, identityRoutes),
  context(feedbackModule, feedbackRoutes),
  context(pollsModule, (deps) => [...pollsRoutes(deps), ...pollEngagementRoutes(deps), ...socialRoutes(deps)]),
  context(draftsModule, (deps) => [...draftsDashboardRoutes(deps), ...draftsRoutes(deps)]),
  context(crmModule, crmRoutes),
  context(diagramsModule, (deps) => [...diagramGenerationRoutes(deps), ...diagramsRoutes(deps), ...diagramExportRoutes(deps)]),
  // Its routes are the command center's, which every process serves (api/http/app.ts).
  context(opsModule, () => []),
];

/** Tables of the HTTP layer itself, migrated with those of the core and the contexts. */
export const apiMigrations: readonly Migrations[] = [idempotencyMigrations];
