// Operators' blue/green rebuilds, rollbacks and verifications of projections over HTTP; the same operations as
// `chorus rebuild` and `chorus verify`. A rebuild or verification runs in the background in the process that took
// the request; its progress is kept in the database, so every process answers for it.
import { auditedAttempt } from '../../application/identity/audit-trail.js';
import { NotFound } from '../../domain/kernel/errors.js';
import { projectionStatus } from '../../projections/projection-status.js';
import type { HttpDependencies } from './dependencies.js';
import { route } from './routes.js';
import { recordAudit } from './security-audit.js';

const OPERATORS = ['operator'] as const;

export const rebuildRoutes = (deps: HttpDependencies) => {
  const subject = (name: string) => `projection:${name}`;
  return [
    route({
      method: 'get',
      path: '/v1/ops/projections/:name',
      tag: 'ops',
      summary: "One projection: its live build and version, the version in code, the previous build, and its rebuild's progress",
      access: OPERATORS,
      responses: { 200: 'The projection', 404: 'Unknown projection' },
      async handle(ctx, { params }) {
        const projection = deps.rebuilds.projection(params.name ?? '');
        ctx.body = await projectionStatus(deps.db, deps.store, projection, { lagOf: deps.lagOf, applied: deps.appliedPosition });
      },
    }),
    route({
      method: 'post',
      path: '/v1/ops/projections/:name/rebuild',
      tag: 'ops',
      summary: 'Rebuild the projection into new tables while the live ones serve, then swap them in (resumes a rebuild that stopped)',
      access: OPERATORS,
      responses: { 202: '{ projection, generation }: the rebuild runs; follow it on Location', 404: 'Unknown projection', 409: 'PROJECTION.REBUILD_RUNNING' },
      async handle(ctx, { params }) {
        const name = params.name ?? '';
        const { finished } = await auditedAttempt(
          () => deps.rebuilds.start(name),
          () => 'started',
          (reason) => recordAudit(ctx, deps, 'projection.rebuild_started', { subject: subject(name), reason }),
        );
        finished.catch((error: unknown) => deps.logger.error({ err: error, projection: name }, 'rebuild failed'));
        const status = await projectionStatus(deps.db, deps.store, deps.rebuilds.projection(name), { lagOf: deps.lagOf, applied: deps.appliedPosition });
        ctx.status = 202;
        ctx.set('Location', `/v1/ops/projections/${encodeURIComponent(name)}`);
        ctx.body = { projection: name, generation: status.rebuild?.generation ?? null, rebuild: status.rebuild };
      },
    }),
    route({
      method: 'post',
      path: '/v1/ops/projections/:name/rollback',
      tag: 'ops',
      summary: 'Make the previous build live again (caught up with the log first); the current one becomes the previous',
      access: OPERATORS,
      responses: { 200: '{ projection, generation, version }', 404: 'Unknown projection', 409: 'PROJECTION.NO_PREVIOUS or PROJECTION.REBUILD_RUNNING' },
      async handle(ctx, { params }) {
        const name = params.name ?? '';
        const live = await auditedAttempt(
          () => deps.rebuilds.rollback(name),
          ({ generation }) => `build ${generation} live`,
          (reason) => recordAudit(ctx, deps, 'projection.rolled_back', { subject: subject(name), reason }),
        );
        ctx.body = { projection: name, ...live };
      },
    }),
    route({
      method: 'post',
      path: '/v1/ops/projections/:name/drop-previous',
      tag: 'ops',
      summary: 'Drop the previous build: no rollback to it after this',
      access: OPERATORS,
      responses: { 200: '{ projection, dropped }', 404: 'Unknown projection', 409: 'PROJECTION.REBUILD_RUNNING' },
      async handle(ctx, { params }) {
        const name = params.name ?? '';
        const dropped = await auditedAttempt(
          () => deps.rebuilds.dropPrevious(name),
          (done) => (done ? 'dropped' : 'none to drop'),
          (reason) => recordAudit(ctx, deps, 'projection.previous_dropped', { subject: subject(name), reason }),
        );
        ctx.body = { projection: name, dropped };
      },
    }),
    route({
      method: 'post',
      path: '/v1/ops/projections/:name/verify',
      tag: 'ops',
      summary: 'Build the projection afresh in scratch tables up to what the live build has applied, and compare their rows',
      access: OPERATORS,
      responses: { 202: '{ id }: follow it on Location', 404: 'Unknown projection' },
      async handle(ctx, { params }) {
        const name = params.name ?? '';
        const id = await auditedAttempt(
          () => deps.verifications.start(deps.rebuilds.projection(name)),
          (started) => `verification ${started}`,
          (reason) => recordAudit(ctx, deps, 'projection.verify_started', { subject: subject(name), reason }),
        );
        ctx.status = 202;
        ctx.set('Location', `/v1/ops/verifications/${id}`);
        ctx.body = { id };
      },
    }),
    route({
      method: 'get',
      path: '/v1/ops/verifications/:id',
      tag: 'ops',
      summary: 'A verification: running, or its missing, extra and different rows with the first examples',
      access: OPERATORS,
      responses: { 200: '{ id, projection, status, equal, missing, extra, different, examples, error }', 404: 'Unknown verification' },
      async handle(ctx, { params }) {
        const verification = await deps.verifications.get(params.id ?? '');
        if (verification === null) throw new NotFound('VERIFICATION.NOT_FOUND', 'No verification has this id');
        ctx.body = verification;
      },
    }),
  ];
};
