// Health probes, metrics and the operators' view of projections and dead letters.
import { z } from 'zod';
import { auditedAttempt } from '../../application/identity/audit-trail.js';
import { deadLetterSubject, describeDiscarded, discardDeadLetter, listDeadLetters, retryDeadLetter } from '../../projections/dead-letters.js';
import { projectionStatus } from '../../projections/projection-status.js';
import type { HttpDependencies } from './dependencies.js';
import { route } from './routes.js';
import { recordAudit } from './security-audit.js';

export const OPERATORS = ['operator'] as const;

const DeadLetterQuery = z.strictObject({
  consumer: z.string().min(1).max(100).optional(),
  status: z.enum(['open', 'resolved', 'discarded']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().regex(/^\d{1,18}$/, 'a cursor this API issued').optional(),
});

export const operationsRoutes = (deps: HttpDependencies) => [
  route({
    method: 'get',
    path: '/health/live',
    tag: 'ops',
    summary: 'The process is up',
    access: 'anyone',
    ignoresCredentials: true,
    responses: { 200: 'Alive' },
    async handle(ctx) {
      ctx.body = { status: 'ok' };
    },
  }),
  route({
    method: 'get',
    path: '/health/ready',
    tag: 'ops',
    summary: 'The event store answers and every worker of this process runs and makes progress (none stuck)',
    access: 'anyone',
    ignoresCredentials: true,
    responses: { 200: 'Ready', 503: 'Not ready: see checks' },
    async handle(ctx) {
      const eventStore = await deps.store.ping().then(
        () => 'ok',
        () => 'unreachable',
      );
      const workers = deps.workers.state();
      const ready = eventStore === 'ok' && Object.values(workers).every((state) => state === 'running');
      ctx.status = ready ? 200 : 503;
      const consumers = deps.workers.health();
      ctx.body = { status: ready ? 'ready' : 'not_ready', checks: { eventStore, workers, consumers, ...(await deps.dependencyHealth()) } };
    },
  }),
  route({
    method: 'get',
    path: '/metrics',
    tag: 'ops',
    summary: 'Prometheus metrics of this process (also to Authorization: Bearer <CHORUS_METRICS_TOKEN>)',
    access: OPERATORS,
    acceptsMetricsToken: true,
    responses: { 200: 'text/plain exposition format' },
    async handle(ctx) {
      ctx.type = deps.metrics.registry.contentType;
      ctx.body = await deps.metrics.registry.metrics();
    },
  }),
  route({
    method: 'get',
    path: '/v1/ops/projections',
    tag: 'ops',
    summary: 'Checkpoint, head of the log, lag and last error of every projection',
    access: OPERATORS,
    responses: { 200: '{ items }' },
    async handle(ctx) {
      const items = await Promise.all(deps.projections.map((projection) => projectionStatus(deps.db, deps.store, projection, { lagOf: deps.lagOf, applied: deps.appliedPosition })));
      ctx.body = { items };
    },
  }),
  route({
    method: 'get',
    path: '/v1/ops/dead-letters',
    tag: 'ops',
    summary: 'Dead letters, oldest first',
    access: OPERATORS,
    query: DeadLetterQuery,
    responses: { 200: '{ items, nextCursor }', 400: 'Invalid filter' },
    async handle(ctx, { query }) {
      const { cursor, ...filter } = query;
      ctx.body = await listDeadLetters(deps.db, { ...filter, ...(cursor === undefined ? {} : { after: cursor }) });
    },
  }),
  route({
    method: 'post',
    path: '/v1/ops/dead-letters/:id/retry',
    tag: 'ops',
    summary: 'Redeliver an open dead letter (the first of its stream) and the letters parked behind it to its projection or enricher',
    access: OPERATORS,
    responses: { 200: '{ items }: the letters resolved', 404: 'Unknown letter', 409: 'Not open, not first, or failed again' },
    async handle(ctx, { params }) {
      const onFailure = (error: unknown, letter: { id: string; consumer: string }) =>
        (ctx.state.log as typeof deps.logger).error({ err: error, letter: letter.id, consumer: letter.consumer }, 'dead letter failed again');
      const id = params.id ?? '';
      const items = await auditedAttempt(
        () => retryDeadLetter(deps.db, deps.deadLetterConsumers, id, onFailure),
        (resolved) => `resolved ${resolved.length} letter(s)`,
        (reason) => recordAudit(ctx, deps, 'deadletter.retried', { subject: deadLetterSubject(id), reason }),
      );
      ctx.body = { items };
    },
  }),
  route({
    method: 'post',
    path: '/v1/ops/dead-letters/:id/discard',
    tag: 'ops',
    summary: 'Give up on an open dead letter',
    access: OPERATORS,
    responses: { 200: 'The letter', 404: 'Unknown letter', 409: 'Not open' },
    async handle(ctx, { params }) {
      const id = params.id ?? '';
      ctx.body = await auditedAttempt(
        () => discardDeadLetter(deps.db, id),
        describeDiscarded,
        (reason) => recordAudit(ctx, deps, 'deadletter.discarded', { subject: deadLetterSubject(id), reason }),
      );
    },
  }),
];
