// The polls routes: polls, votes, results and follows. Every route needs a signed-in user; viewers read, members,
// agents, operators and admins also write. A followers-only poll is 404 to whoever may not see it, in every view.
import type { Context } from 'koa';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { CommandResult } from '../../application/kernel/handle-command.js';
import { assertUserExists, followUser, unfollowUser } from '../../application/polls/follow-commands.js';
import { pollVisibleTo, type Viewer } from '../../application/polls/poll-access.js';
import { castVote, closePoll, createPoll, retractVote } from '../../application/polls/poll-commands.js';
import { NotFound } from '../../domain/kernel/errors.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import { POLL_OPTION_MAX_LENGTH, POLL_OPTIONS_MAX, POLL_OPTIONS_MIN, POLL_QUESTION_MAX_LENGTH, POLL_VISIBILITIES } from '../../domain/polls/poll-events.js';
import { pollsProjection, type PollRow } from '../../projections/polls/polls-projection.js';
import { findPoll, getPoll, listFollows, listPolls, liveResults, pollResults, type PollReader } from '../../projections/polls/polls-queries.js';
import type { Schema } from '../../projections/schema.js';
import { commandContextOf, isAdmin, principalOf } from './access.js';
import type { HttpDependencies } from './dependencies.js';
import { etag } from './preconditions.js';
import { CONSISTENCY_HEADER, readDatabase } from './read-database.js';
import { awaitMinPosition, MIN_POSITION_HEADER } from './read-your-writes.js';
import { LiveViews } from './live-views.js';
import type { EventStream } from './server-sent-events.js';
import { route } from './routes.js';

/** Who may write (create, close, vote, follow): every role but viewer; admins are admitted everywhere. */
export const WRITERS = ['member', 'agent', 'operator'] as const;

const Instant = z.iso.datetime({ offset: true }).refine((value) => !value.startsWith('0000'), 'a year from 1 to 9999');

const CreatePollBody = z.strictObject({
  question: z.string().trim().min(1).max(POLL_QUESTION_MAX_LENGTH),
  options: z.array(z.string().trim().min(1).max(POLL_OPTION_MAX_LENGTH)).min(POLL_OPTIONS_MIN).max(POLL_OPTIONS_MAX).meta({ description: 'Distinct (case-insensitive) option texts' }),
  closesAt: Instant.nullish().meta({ description: 'When the poll stops taking votes; in the future' }),
  visibility: z.enum(POLL_VISIBILITIES).default('public'),
});

const VoteBody = z.strictObject({ optionId: z.string().min(1).max(100) });

const ListQuery = z.strictObject({
  author: z.string().min(1).max(200).optional(),
  status: z.enum(['open', 'closed']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(500).optional(),
});

export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(500).optional(),
});

export const READ_HEADERS = [MIN_POSITION_HEADER, CONSISTENCY_HEADER];

/** A live stream reads its poll's results at most this often: at most five frames a second per poll. */
const LIVE_MIN_INTERVAL_MS = 200;
/** And looks at least this often when no projector's news reaches this process. */
const LIVE_RECHECK_MS = 1000;

const pollNotFound = (id: string | undefined): NotFound => new NotFound('POLL.NOT_FOUND', `Poll ${id ?? ''} does not exist`);
const userNotFound = (id: string | undefined): NotFound => new NotFound('FOLLOW.USER_NOT_FOUND', `User ${id ?? ''} does not exist`);

export function pollIdOf(id: string | undefined): string {
  if (id === undefined || !isUuid(id)) throw pollNotFound(id);
  return id.toLowerCase();
}

/** A user id of the path: identity mints uuids, so anything else names nobody (your own id is left to the rules on yourself). */
function userIdOf(ctx: Context, id: string | undefined): string {
  if (id !== undefined && id === principalOf(ctx).sub) return id;
  if (id === undefined || !isUuid(id)) throw userNotFound(id);
  return id.toLowerCase();
}

const readerOf = (ctx: Context): PollReader => {
  const principal = principalOf(ctx);
  return { sub: principal.sub, admin: isAdmin(principal) };
};

export const viewerOf = (ctx: Context): Viewer => {
  const { sub, roles } = principalOf(ctx);
  return { sub, roles };
};

export function respond(ctx: Context, status: 200 | 201, result: CommandResult & { id: string }, location?: string): void {
  ctx.status = status;
  if (location !== undefined) ctx.set('Location', location);
  ctx.set('ETag', etag(result.revision));
  if (result.position !== null) ctx.set('X-Chorus-Position', result.position);
  ctx.body = { id: result.id, revision: result.revision, position: result.position };
}

export const pollsRoutes = (deps: HttpDependencies) => {
  /** The poll's row, if the caller may see it: the read model for the poll, the event store for the follow. */
  async function visiblePollRow(ctx: Context, db: Kysely<Schema>, id: string): Promise<PollRow> {
    const row = await findPoll(db, id);
    if (row === undefined || !(await pollVisibleTo(deps.commands, viewerOf(ctx), { authorId: row.author_id, visibility: row.visibility }))) throw pollNotFound(id);
    return row;
  }

  // Read from the writer: a replica's lag would hold frames back past the news that woke the loop.
  const live = new LiveViews(
    { projection: pollsProjection.name, read: (ids) => liveResults(deps.db, ids, deps.commands.clock.now()) },
    deps.progress,
    deps.metrics.liveSubscriptions,
    { minIntervalMs: LIVE_MIN_INTERVAL_MS, recheckMs: LIVE_RECHECK_MS },
    (error) => deps.logger.error({ err: error }, 'live poll results could not be read'),
    deps.eventStreams.closing,
  );

  return [
    route({
      method: 'post',
      path: '/v1/polls',
      tag: 'polls',
      summary: 'Create a poll',
      access: WRITERS,
      body: CreatePollBody,
      responses: { 201: 'Created: { id, revision, position }', 400: 'Invalid body, duplicate options (POLL.DUPLICATE_OPTIONS), closesAt not in the future (POLL.CLOSES_IN_PAST)' },
      async handle(ctx, { body, commands }) {
        const closesAt = body.closesAt == null ? null : new Date(body.closesAt).toISOString();
        const input = { question: body.question, options: body.options, closesAt, visibility: body.visibility };
        const result = await createPoll(commands, principalOf(ctx).sub, input, commandContextOf(ctx));
        respond(ctx, 201, result, `/v1/polls/${result.id}`);
      },
    }),
    route({
      method: 'get',
      path: '/v1/polls',
      tag: 'polls',
      summary: 'Polls the caller may see, newest first, by author and status, a cursor page at a time',
      access: 'signed-in',
      query: ListQuery,
      headers: READ_HEADERS,
      responses: { 200: '{ items, nextCursor }', 400: 'Invalid filter or cursor (QUERY.INVALID_CURSOR)', 503: 'Read model behind' },
      async handle(ctx, { query }) {
        const reader = readDatabase(ctx, deps);
        await awaitMinPosition(ctx, deps, pollsProjection, reader.db);
        ctx.body = await listPolls(reader.db, query, readerOf(ctx), deps.commands.clock.now());
      },
    }),
    route({
      method: 'get',
      path: '/v1/polls/:id',
      tag: 'polls',
      summary: 'One poll: options with votes, status, reaction and comment counts, and the caller\'s vote',
      access: 'signed-in',
      headers: READ_HEADERS,
      responses: { 200: 'The poll', 404: 'Unknown poll, or one the caller may not see (POLL.NOT_FOUND)', 503: 'Read model behind' },
      async handle(ctx, { params }) {
        const id = pollIdOf(params.id);
        const reader = readDatabase(ctx, deps);
        await awaitMinPosition(ctx, deps, pollsProjection, reader.db);
        await visiblePollRow(ctx, reader.db, id);
        const view = await getPoll(reader.db, id, readerOf(ctx), deps.commands.clock.now());
        if (view === undefined) throw pollNotFound(id);
        // No ETag: votes, reactions and comments change the view without changing the poll's revision.
        ctx.body = view;
      },
    }),
    route({
      method: 'get',
      path: '/v1/polls/:id/results',
      tag: 'polls',
      summary: 'Votes and percent per option',
      access: 'signed-in',
      headers: READ_HEADERS,
      responses: { 200: '{ totalVotes, options: [{ id, text, votes, percent }] }', 404: 'Unknown poll (POLL.NOT_FOUND)', 503: 'Read model behind' },
      async handle(ctx, { params }) {
        const id = pollIdOf(params.id);
        const reader = readDatabase(ctx, deps);
        await awaitMinPosition(ctx, deps, pollsProjection, reader.db);
        ctx.body = await pollResults(reader.db, await visiblePollRow(ctx, reader.db, id));
      },
    }),
    route({
      method: 'get',
      path: '/v1/polls/:id/live',
      tag: 'polls',
      summary: 'The vote booth: the results as Server-Sent Events, `event: tally` at once and at each change (at most five a second), `id:` the log position, heartbeats, Last-Event-ID honoured',
      access: 'signed-in',
      headers: [MIN_POSITION_HEADER, 'Last-Event-ID'],
      responses: { 200: 'text/event-stream of `tally` events ({ pollId, status, totalVotes, options })', 404: 'Unknown poll, or one the caller may not see (POLL.NOT_FOUND)', 503: 'Read model behind' },
      async handle(ctx, { params }) {
        const id = pollIdOf(params.id);
        // The first frame then holds the caller's own vote.
        await awaitMinPosition(ctx, deps, pollsProjection, deps.db);
        await visiblePollRow(ctx, deps.db, id);
        let stream: EventStream | null = null;
        const { current, unwatch } = await live.watch(id, (frame) => stream?.send('tally', frame.position, frame.data));
        stream = deps.eventStreams.start(ctx);
        void stream.ended.then(unwatch);
        // A client that saw the current frame (its Last-Event-ID) waits for the next change; any other gets it now.
        const now = current();
        if (now !== null && now.position !== ctx.get('Last-Event-ID')) stream.send('tally', now.position, now.data);
      },
    }),
    route({
      method: 'post',
      path: '/v1/polls/:id/close',
      tag: 'polls',
      summary: 'Close a poll (its author or an admin); closing a closed poll changes nothing',
      access: WRITERS,
      responses: { 200: 'Closed', 403: 'Not the author (POLL.NOT_AUTHOR)', 404: 'Unknown poll (POLL.NOT_FOUND)' },
      async handle(ctx, { params, commands }) {
        respond(ctx, 200, await closePoll(commands, pollIdOf(params.id), viewerOf(ctx), commandContextOf(ctx)));
      },
    }),
    route({
      method: 'post',
      path: '/v1/polls/:id/votes',
      tag: 'polls',
      summary: 'Vote: one vote per user per poll',
      access: WRITERS,
      body: VoteBody,
      responses: {
        201: 'Voted: { id, revision, position } (the revision of the caller\'s vote stream)',
        400: 'Unknown option (POLL.UNKNOWN_OPTION)',
        404: 'Unknown poll (POLL.NOT_FOUND)',
        409: 'Voted already (POLL.ALREADY_VOTED), or the poll is closed (POLL.CLOSED)',
      },
      async handle(ctx, { params, body, commands }) {
        const id = pollIdOf(params.id);
        // The vote has no view of its own: the poll's shows it as myVote.
        respond(ctx, 201, await castVote(commands, id, body.optionId, viewerOf(ctx), commandContextOf(ctx)), `/v1/polls/${id}`);
      },
    }),
    route({
      method: 'delete',
      path: '/v1/polls/:id/votes/me',
      tag: 'polls',
      summary: 'Retract your vote while the poll is open; you may vote again',
      access: WRITERS,
      responses: { 200: 'Retracted', 404: 'Unknown poll (POLL.NOT_FOUND), or no vote (POLL.VOTE_NOT_FOUND)', 409: 'The poll is closed (POLL.CLOSED)' },
      async handle(ctx, { params, commands }) {
        respond(ctx, 200, await retractVote(commands, pollIdOf(params.id), viewerOf(ctx), commandContextOf(ctx)));
      },
    }),
    route({
      method: 'post',
      path: '/v1/users/:id/follow',
      tag: 'polls',
      summary: 'Follow a user (following twice changes nothing)',
      access: WRITERS,
      responses: { 200: 'Following', 400: 'Yourself (FOLLOW.SELF)', 404: 'Unknown user (FOLLOW.USER_NOT_FOUND)' },
      async handle(ctx, { params, commands }) {
        respond(ctx, 200, await followUser(commands, principalOf(ctx).sub, userIdOf(ctx, params.id), commandContextOf(ctx)));
      },
    }),
    route({
      method: 'delete',
      path: '/v1/users/:id/follow',
      tag: 'polls',
      summary: 'Stop following a user (not following changes nothing)',
      access: WRITERS,
      responses: { 200: 'Not following', 400: 'Yourself (FOLLOW.SELF)', 404: 'Unknown user (FOLLOW.USER_NOT_FOUND)' },
      async handle(ctx, { params, commands }) {
        respond(ctx, 200, await unfollowUser(commands, principalOf(ctx).sub, userIdOf(ctx, params.id), commandContextOf(ctx)));
      },
    }),
    ...(['followers', 'following'] as const).map((direction) =>
      route({
        method: 'get',
        path: `/v1/users/:id/${direction}`,
        tag: 'polls',
        summary: direction === 'followers' ? 'Who follows the user, newest follow first' : 'Whom the user follows, newest follow first',
        access: 'signed-in',
        query: PageQuery,
        headers: READ_HEADERS,
        responses: { 200: '{ items: [{ userId, since }], nextCursor }', 400: 'Invalid cursor (QUERY.INVALID_CURSOR)', 404: 'Unknown user (FOLLOW.USER_NOT_FOUND)', 503: 'Read model behind' },
        async handle(ctx, { params, query }) {
          const userId = userIdOf(ctx, params.id);
          if (userId !== principalOf(ctx).sub) await assertUserExists(deps.commands.store, userId);
          const reader = readDatabase(ctx, deps);
          await awaitMinPosition(ctx, deps, pollsProjection, reader.db);
          ctx.body = await listFollows(reader.db, userId, direction, query);
        },
      }),
    ),
  ];
};
