// Replays over HTTP, for operators: start one in the background of this API process, follow it from any API
// process, cancel it. Starting and cancelling are recorded in the audit trail.
import { auditedAttempt } from '../../application/identity/audit-trail.js';
import { ReplayRequestSchema, type ReplayRequest } from '../../application/replay/replay-request.js';
import type { ReplayView } from '../../infrastructure/replay/replays-table.js';
import type { HttpDependencies } from './dependencies.js';
import { OPERATORS } from './operations.js';
import { route } from './routes.js';
import { recordAudit } from './security-audit.js';

const replaySubject = (id: string): string => `replay:${id.slice(0, 40)}`;

const describeTarget = (request: ReplayRequest): string =>
  request.target === 'projection' ? `projection ${request.projection}` : `kafka ${request.topic ?? "each event's context topic"}`;

const describeCancelled = ({ status, processed, total }: ReplayView): string =>
  status === 'cancelled' ? `cancelled after ${processed} of ${total ?? '?'} event(s)` : 'cancel requested of the process running it';

export const replayRoutes = (deps: HttpDependencies) => [
  route({
    method: 'post',
    path: '/v1/ops/replays',
    tag: 'ops',
    summary: 'Replay a selection of the log (position bounds inclusive, since inclusive, until exclusive) to Kafka or a projection, in the background',
    access: OPERATORS,
    body: ReplayRequestSchema,
    responses: {
      202: 'Started: { id, status, ... } with Location',
      400: 'Invalid request, position, range, projection or topic',
      409: 'No Kafka here (REPLAY.KAFKA_NOT_CONFIGURED), or this process is shutting down',
    },
    async handle(ctx, { body, commands }) {
      // Minted from the Idempotency-Key when there is one: a retry finds the replay its first attempt started.
      const id = commands.ids.next();
      const view = await auditedAttempt(
        () => deps.replays.start(id, body),
        () => `started: to ${describeTarget(body)}`,
        (reason) => recordAudit(ctx, deps, 'replay.started', { subject: replaySubject(id), reason }),
      );
      ctx.status = 202;
      ctx.set('Location', `/v1/ops/replays/${id}`);
      ctx.body = view;
    },
  }),
  route({
    method: 'get',
    path: '/v1/ops/replays/:id',
    tag: 'ops',
    summary: 'A replay: its request, status (running, completed, cancelled, failed), progress and errors',
    access: OPERATORS,
    responses: { 200: 'The replay', 404: 'Unknown replay' },
    async handle(ctx, { params }) {
      ctx.body = await deps.replays.view(params.id ?? '');
    },
  }),
  route({
    method: 'post',
    path: '/v1/ops/replays/:id/cancel',
    tag: 'ops',
    summary: 'Stop a running replay after the batch in hand',
    access: OPERATORS,
    responses: { 200: 'The replay: cancelled, or running with cancelRequested when another API process runs it', 404: 'Unknown replay', 409: 'Not running' },
    async handle(ctx, { params }) {
      const id = params.id ?? '';
      ctx.body = await auditedAttempt(
        () => deps.replays.cancel(id),
        describeCancelled,
        (reason) => recordAudit(ctx, deps, 'replay.cancelled', { subject: replaySubject(id), reason }),
      );
    },
  }),
];
