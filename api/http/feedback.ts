import type { Context } from 'koa';
import { z } from 'zod';
import { changeFeedbackStatus, submitFeedback, type FeedbackCommandResult } from '../../application/feedback/feedback-commands.js';
import {
  FEEDBACK_APP_VERSION_MAX_LENGTH,
  FEEDBACK_CATEGORIES,
  FEEDBACK_CHANNEL_MAX_LENGTH,
  FEEDBACK_NOTE_MAX_LENGTH,
  FEEDBACK_RATING_MAX,
  FEEDBACK_RATING_MIN,
  FEEDBACK_STATUSES,
  FEEDBACK_TEXT_MAX_LENGTH,
  SENTIMENTS,
} from '../../domain/feedback/events.js';
import { FEEDBACK_SOURCE_MAX_LENGTH, splitSource, type FeedbackOrigin } from '../../domain/feedback/source.js';
import { NotFound, ValidationError } from '../../domain/kernel/errors.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import { feedbackStats, getFeedback, listFeedback } from '../../projections/feedback/feedback-queries.js';
import { answerCached } from './cached-read.js';
import type { HttpDependencies } from './dependencies.js';
import { awaitMinPosition, MIN_POSITION_HEADER } from './read-your-writes.js';
import { etag, ifMatchRevision, noneMatchHits } from './preconditions.js';
import { CONSISTENCY_HEADER, readDatabase, readView } from './read-database.js';
import { route } from './routes.js';
import { commandContextOf } from './access.js';

/** Business reads: viewers, and agents, who work the feedback. */
const READERS = ['viewer', 'agent'] as const;

const SubmitFeedbackBody = z.strictObject({
  text: z.string().trim().min(1).max(FEEDBACK_TEXT_MAX_LENGTH),
  rating: z.number().int().min(FEEDBACK_RATING_MIN).max(FEEDBACK_RATING_MAX).nullish(),
  channel: z.string().trim().min(1).max(FEEDBACK_CHANNEL_MAX_LENGTH).nullish(),
  appVersion: z.string().trim().min(1).max(FEEDBACK_APP_VERSION_MAX_LENGTH).nullish(),
  source: z.string().trim().min(1).max(FEEDBACK_SOURCE_MAX_LENGTH).nullish().meta({ deprecated: true, description: 'Channel and app version in one text ("ios 2.3.1"), parted by the rule old feedback is; never beside them' }),
  customerId: z.string().trim().min(1).max(200).nullish(),
});

/** Where feedback came from: its channel and app version, or the deprecated source parted into them. */
function originOf(body: z.infer<typeof SubmitFeedbackBody>): FeedbackOrigin {
  const channel = body.channel ?? null;
  const appVersion = body.appVersion ?? null;
  const source = body.source ?? null;
  if (source === null) return { channel, appVersion };
  if (channel !== null || appVersion !== null) {
    throw new ValidationError('FEEDBACK.SOURCE_WITH_CHANNEL', 'source is deprecated: send channel and appVersion instead, not with it', [
      { path: 'body.source', message: 'Not with channel or appVersion' },
    ]);
  }
  return splitSource(source);
}

const ChangeStatusBody = z.strictObject({
  status: z.enum(FEEDBACK_STATUSES),
  note: z.string().trim().min(1).max(FEEDBACK_NOTE_MAX_LENGTH).nullish(),
});

const ListQuery = z.strictObject({
  status: z.enum(FEEDBACK_STATUSES).optional(),
  rating: z.coerce.number().int().min(FEEDBACK_RATING_MIN).max(FEEDBACK_RATING_MAX).optional(),
  category: z.enum(FEEDBACK_CATEGORIES).optional(),
  sentiment: z.enum(SENTIMENTS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(500).optional(),
});

const StatsQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(366).default(30) });

function feedbackId(ctx: Context, id: string | undefined): string {
  if (id === undefined || !isUuid(id)) throw new NotFound('FEEDBACK.NOT_FOUND', `Feedback ${id ?? ''} does not exist`);
  return id.toLowerCase();
}

function respondToCommand(ctx: Context, status: 200 | 201, result: FeedbackCommandResult): void {
  ctx.status = status;
  if (status === 201) ctx.set('Location', `/v1/feedback/${result.id}`);
  ctx.set('ETag', etag(result.revision));
  if (result.position !== null) ctx.set('X-Chorus-Position', result.position);
  ctx.body = { id: result.id, revision: result.revision, position: result.position };
}

export const feedbackRoutes = (deps: HttpDependencies) => [
  route({
    method: 'post',
    path: '/v1/feedback',
    tag: 'feedback',
    summary: 'Submit feedback',
    access: 'anyone',
    body: SubmitFeedbackBody,
    responses: { 201: 'Created: { id, revision, position }', 400: 'Invalid body, or source beside channel or appVersion', 413: 'Body over 64 KB', 415: 'Not JSON' },
    async handle(ctx, { body, commands }) {
      const input = { text: body.text, rating: body.rating ?? null, ...originOf(body), customerId: body.customerId ?? null };
      respondToCommand(ctx, 201, await submitFeedback(commands, input, commandContextOf(ctx)));
    },
  }),
  route({
    method: 'post',
    path: '/v1/feedback/:id/status',
    tag: 'feedback',
    summary: 'Change the status of feedback (open, in_progress, resolved, closed)',
    access: ['agent'],
    body: ChangeStatusBody,
    headers: ['If-Match'],
    responses: { 200: 'Changed', 404: 'Unknown feedback', 409: 'Transition not allowed', 412: 'If-Match does not match' },
    async handle(ctx, { body, params, commands }) {
      const id = feedbackId(ctx, params.id);
      const input = { status: body.status, note: body.note ?? null };
      respondToCommand(ctx, 200, await changeFeedbackStatus(commands, id, input, commandContextOf(ctx, ifMatchRevision(ctx))));
    },
  }),
  route({
    method: 'get',
    path: '/v1/feedback/stats',
    tag: 'feedback',
    summary: 'Totals by status, rating, category, sentiment and day',
    access: READERS,
    query: StatsQuery,
    headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
    responses: { 200: 'Stats', 503: 'Read model behind X-Chorus-Min-Position' },
    async handle(ctx, { query }) {
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, feedbackProjection, reader.db);
      const today = deps.commands.clock.now().toISOString().slice(0, 10);
      await answerCached(ctx, deps, reader, feedbackProjection, [String(query.days), today], () => feedbackStats(reader.db, { days: query.days, today }));
    },
  }),
  route({
    method: 'get',
    path: '/v1/feedback/:id',
    tag: 'feedback',
    summary: 'One piece of feedback',
    access: READERS,
    headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER, 'If-None-Match'],
    responses: { 200: 'Feedback, with ETag (X-Chorus-Cache: hit or miss on an eventual read from the writer)', 304: 'Not modified', 404: 'Unknown feedback', 503: 'Read model behind' },
    async handle(ctx, { params }) {
      const id = feedbackId(ctx, params.id);
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, feedbackProjection, reader.db);
      const found = await readView(ctx, deps, reader, feedbackProjection, id, () => getFeedback(reader.db, id));
      if (found === undefined) throw new NotFound('FEEDBACK.NOT_FOUND', `Feedback ${id} does not exist`);
      const tag = etag(found.view.revision);
      ctx.set('ETag', tag);
      if (noneMatchHits(ctx.get('If-None-Match'), tag)) {
        ctx.status = 304;
        return;
      }
      ctx.type = 'application/json';
      ctx.body = found.json;
    },
  }),
  route({
    method: 'get',
    path: '/v1/feedback',
    tag: 'feedback',
    summary: 'Feedback, newest first, filtered by status, rating, category and sentiment, a cursor page at a time',
    access: READERS,
    query: ListQuery,
    headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
    responses: { 200: '{ items, nextCursor }', 400: 'Invalid filter or cursor', 503: 'Read model behind' },
    async handle(ctx, { query }) {
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, feedbackProjection, reader.db);
      ctx.body = await listFeedback(reader.db, query);
    },
  }),
];
