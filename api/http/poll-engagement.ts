// The polls context's engagement routes: comments (threads one level deep, tombstones on delete), reactions (one per
// user per poll) and the feed. Signed-in users read; every role but viewer writes. A poll the caller may not see is
// 404 here too, whatever is asked of it: visibility is read from the event store, as the poll views read it.
import { z } from 'zod';
import { deleteComment, postComment } from '../../application/polls/comment-commands.js';
import { pollVisibleTo, readVisiblePoll } from '../../application/polls/poll-access.js';
import { removeReaction, setReaction } from '../../application/polls/reaction-commands.js';
import { NotFound } from '../../domain/kernel/errors.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import { COMMENT_TEXT_MAX_LENGTH } from '../../domain/polls/comment-events.js';
import { REACTION_KINDS } from '../../domain/polls/reaction-events.js';
import { pollCommentsProjection } from '../../projections/polls/comments-projection.js';
import { listCommentThreads } from '../../projections/polls/comments-queries.js';
import { pollFeedProjection } from '../../projections/polls/feed-projection.js';
import { readFeed } from '../../projections/polls/feed-queries.js';
import type { PollSummaryView } from '../../projections/polls/polls-queries.js';
import { commandContextOf, isAdmin, principalOf } from './access.js';
import type { HttpDependencies } from './dependencies.js';
import { PageQuery, pollIdOf, READ_HEADERS, respond, viewerOf, WRITERS } from './polls.js';
import { readDatabase } from './read-database.js';
import { awaitMinPosition } from './read-your-writes.js';
import { route } from './routes.js';

const CommentBody = z.strictObject({
  text: z.string().trim().min(1).max(COMMENT_TEXT_MAX_LENGTH),
  parentId: z.string().min(1).max(200).nullish().meta({ description: 'The comment replied to; a reply to a reply hangs under the same top-level comment' }),
});

const ReactionBody = z.strictObject({ kind: z.enum(REACTION_KINDS) });

function commentIdOf(id: string | undefined): string {
  if (id === undefined || !isUuid(id)) throw new NotFound('COMMENT.NOT_FOUND', `Comment ${id ?? ''} does not exist`);
  return id.toLowerCase();
}

export const pollEngagementRoutes = (deps: HttpDependencies) => [
  route({
    method: 'post',
    path: '/v1/polls/:id/comments',
    tag: 'polls',
    summary: 'Comment on a poll, or reply to one of its comments (threads nest one level)',
    access: WRITERS,
    body: CommentBody,
    responses: {
      201: 'Posted: { id, revision, position }; Location: the poll\'s comments',
      400: 'Invalid text; parentId not a comment of this poll (COMMENT.PARENT_NOT_FOUND)',
      404: 'Unknown poll, or one the caller may not see (POLL.NOT_FOUND)',
      409: 'The comment replied to was deleted (COMMENT.PARENT_DELETED)',
    },
    async handle(ctx, { params, body, commands }) {
      const pollId = pollIdOf(params.id);
      const result = await postComment(commands, pollId, viewerOf(ctx), { text: body.text, parentId: body.parentId ?? null }, commandContextOf(ctx));
      respond(ctx, 201, result, `/v1/polls/${pollId}/comments`);
    },
  }),
  route({
    method: 'get',
    path: '/v1/polls/:id/comments',
    tag: 'polls',
    summary: 'A poll\'s top-level comments, oldest first, a cursor page at a time, each with all its replies (oldest first); deleted ones as tombstones',
    access: 'signed-in',
    query: PageQuery,
    headers: READ_HEADERS,
    responses: { 200: '{ items: [{ id, authorId, text, deleted, postedAt, replies }], nextCursor }', 400: 'Invalid cursor (QUERY.INVALID_CURSOR)', 404: 'Unknown poll (POLL.NOT_FOUND)', 503: 'Read model behind' },
    async handle(ctx, { params, query }) {
      const pollId = pollIdOf(params.id);
      await readVisiblePoll(deps.commands, viewerOf(ctx), pollId);
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, pollCommentsProjection, reader.db);
      ctx.body = await listCommentThreads(reader.db, pollId, query);
    },
  }),
  route({
    method: 'post',
    path: '/v1/comments/:id/delete',
    tag: 'polls',
    summary: 'Delete a comment (its author, its poll\'s author or an admin): it stays in its thread as a tombstone; deleting it again changes nothing',
    access: WRITERS,
    responses: { 200: 'Deleted: { id, revision, position }', 403: 'Not allowed (COMMENT.NOT_ALLOWED)', 404: 'Unknown comment, or on a poll the caller may not see (COMMENT.NOT_FOUND)' },
    async handle(ctx, { params, commands }) {
      respond(ctx, 200, await deleteComment(commands, commentIdOf(params.id), viewerOf(ctx), commandContextOf(ctx)));
    },
  }),
  route({
    method: 'put',
    path: '/v1/polls/:id/reactions/me',
    tag: 'polls',
    summary: 'Set your reaction to a poll (one per user per poll; setting another kind replaces it, the same kind changes nothing)',
    access: WRITERS,
    body: ReactionBody,
    responses: { 200: 'Set: { id, revision, position } (the revision of your reaction stream)', 400: 'Unknown kind', 404: 'Unknown poll (POLL.NOT_FOUND)', 409: 'Changed meanwhile by your other requests (REACTION.CHANGED)' },
    async handle(ctx, { params, body, commands }) {
      respond(ctx, 200, await setReaction(commands, pollIdOf(params.id), body.kind, viewerOf(ctx), commandContextOf(ctx)));
    },
  }),
  route({
    method: 'delete',
    path: '/v1/polls/:id/reactions/me',
    tag: 'polls',
    summary: 'Remove your reaction to a poll',
    access: WRITERS,
    responses: { 200: 'Removed: { id, revision, position }', 404: 'Unknown poll (POLL.NOT_FOUND), or no reaction (REACTION.NOT_FOUND)', 409: 'Changed meanwhile (REACTION.CHANGED)' },
    async handle(ctx, { params, commands }) {
      respond(ctx, 200, await removeReaction(commands, pollIdOf(params.id), viewerOf(ctx), commandContextOf(ctx)));
    },
  }),
  route({
    method: 'get',
    path: '/v1/feed',
    tag: 'polls',
    summary: 'Your feed: your polls and those of whom you follow, newest first, a cursor page at a time',
    access: 'signed-in',
    query: PageQuery,
    headers: READ_HEADERS,
    responses: { 200: '{ items, nextCursor } (items as in GET /v1/polls)', 400: 'Invalid cursor (QUERY.INVALID_CURSOR)', 503: 'Read model behind' },
    async handle(ctx, { query }) {
      const principal = principalOf(ctx);
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, pollFeedProjection, reader.db);
      const page = await readFeed(reader.db, principal.sub, query, deps.commands.clock.now());
      // The feed model follows the log; who may see a followers-only poll is read from the store, exactly as the
      // poll views read it, so an unfollow the feed has not applied yet hides the followee's followers-only polls.
      const visible = new Map<string, boolean>();
      const items: PollSummaryView[] = [];
      for (const item of page.items) {
        if (item.visibility === 'followers' && item.authorId !== principal.sub && !isAdmin(principal)) {
          if (!visible.has(item.authorId)) visible.set(item.authorId, await pollVisibleTo(deps.commands, viewerOf(ctx), item));
          if (visible.get(item.authorId) !== true) continue;
        }
        items.push(item);
      }
      ctx.body = { items, nextCursor: page.nextCursor };
    },
  }),
];
