// The command center: a cheap ping, the aggregate health of the system, and the auto-heal supervisor's status,
// history and stats. Served by every process (like /health/ready), to operators and admins.
import { z } from 'zod';
import { autohealHistory, autohealStatsOf } from '../../application/ops/autoheal-history.js';
import type { HttpDependencies } from './dependencies.js';
import { OPERATORS } from './operations.js';
import { route } from './routes.js';

const HistoryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

export const commandCenterRoutes = (deps: HttpDependencies) => [
  route({
    method: 'get',
    path: '/v1/ops/ping',
    tag: 'ops',
    summary: 'Liveness of this process with its version, uptime and roles; checks nothing else',
    access: OPERATORS,
    responses: { 200: '{ status, version, uptimeSeconds, startedAt, roles, pid }' },
    async handle(ctx) {
      const { version, startedAt, roles } = deps.processInfo;
      ctx.body = { status: 'ok', version, uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000), startedAt: startedAt.toISOString(), roles, pid: process.pid };
    },
  }),
  route({
    method: 'get',
    path: '/v1/ops/health',
    tag: 'ops',
    summary: 'Every dependency, worker and peer with status, latency and detail; overall down (event store or writer unreachable), degraded or ok',
    access: OPERATORS,
    responses: { 200: '{ status, checkedAt, components }: ok or degraded', 503: 'The same report, when down' },
    async handle(ctx) {
      const report = await deps.systemHealth();
      ctx.status = report.status === 'down' ? 503 : 200;
      ctx.body = { ...report, version: deps.processInfo.version, roles: deps.processInfo.roles };
    },
  }),
  route({
    method: 'get',
    path: '/v1/ops/autoheal/status',
    tag: 'ops',
    summary: "This process's auto-heal supervisor: configuration, targets, last check and each worker",
    access: OPERATORS,
    responses: { 200: 'The status' },
    async handle(ctx) {
      ctx.body = await deps.autoheal.status();
    },
  }),
  route({
    method: 'get',
    path: '/v1/ops/autoheal/history',
    tag: 'ops',
    summary: 'Auto-heal attempts of every process, newest first, from the events',
    access: OPERATORS,
    query: HistoryQuery,
    responses: { 200: '{ items }', 400: 'Invalid limit' },
    async handle(ctx, { query }) {
      ctx.body = { items: await autohealHistory(deps.store, query.limit) };
    },
  }),
  route({
    method: 'get',
    path: '/v1/ops/autoheal/stats',
    tag: 'ops',
    summary: 'Auto-heal attempts of every process: total, successful, failed, success rate, per target, most healed',
    access: OPERATORS,
    responses: { 200: 'The stats' },
    async handle(ctx) {
      ctx.body = await autohealStatsOf(deps.store);
    },
  }),
];
