// Health probes and the operators' view of projections.
import { projectionStatus } from '../../projections/projection-status.js';
import type { HttpDependencies } from './dependencies.js';
import { route } from './routes.js';

export const operationsRoutes = (deps: HttpDependencies) => [
  route({
    method: 'get',
    path: '/health/live',
    tag: 'ops',
    summary: 'The process is up',
    responses: { 200: 'Alive' },
    async handle(ctx) {
      ctx.body = { status: 'ok' };
    },
  }),
  route({
    method: 'get',
    path: '/health/ready',
    tag: 'ops',
    summary: 'The event store answers and every projection is running',
    responses: { 200: 'Ready', 503: 'Not ready: see checks' },
    async handle(ctx) {
      const eventStore = await deps.store.ping().then(
        () => 'ok',
        () => 'unreachable',
      );
      const projections = deps.workers.state();
      const ready = eventStore === 'ok' && deps.projections.every(({ name }) => projections[name] === 'running');
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'not_ready', checks: { eventStore, projections } };
    },
  }),
  route({
    method: 'get',
    path: '/v1/ops/projections',
    tag: 'ops',
    summary: 'Checkpoint, head of the log, lag and last error of every projection',
    responses: { 200: '{ items }' },
    async handle(ctx) {
      const items = await Promise.all(deps.projections.map((projection) => projectionStatus(deps.db, deps.store, projection)));
      ctx.body = { items };
    },
  }),
];
