// Profiles, direct messages and notifications of the polls context. Everyone signed in reads; writing needs a role
// that acts (viewers only read). A conversation is read by its two participants only: every route is about the
// caller's own conversations, whoever the caller is (admins included).
import type { Context } from 'koa';
import { z } from 'zod';
import {
  markAllNotificationsRead,
  markConversationRead,
  markNotificationRead,
  sendMessage,
  updateProfile,
  type SocialCommandResult,
} from '../../application/polls/social-commands.js';
import { NotFound } from '../../domain/kernel/errors.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import { conversationProjection } from '../../projections/polls/conversation-projection.js';
import { notificationProjection } from '../../projections/polls/notification-projection.js';
import { profileProjection } from '../../projections/polls/profile-projection.js';
import { getProfile, listConversations, listMessages, listNotifications, notificationOf } from '../../projections/polls/social-queries.js';
import { commandContextOf, principalOf } from './access.js';
import type { HttpDependencies } from './dependencies.js';
import { etag, ifMatchRevision } from './preconditions.js';
import { CONSISTENCY_HEADER, readDatabase } from './read-database.js';
import { awaitMinPosition, MIN_POSITION_HEADER } from './read-your-writes.js';
import { route } from './routes.js';

/** Roles that act; a viewer alone only reads (403 AUTH.FORBIDDEN). Admins are admitted everywhere. */
const WRITERS = ['member', 'agent', 'operator'] as const;
const READ_HEADERS = [MIN_POSITION_HEADER, CONSISTENCY_HEADER];

const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(500).optional(),
});
const NotificationsQuery = PageQuery.extend({ unread: z.enum(['true', 'false']).optional() });

// Lengths and URL rules are the domain's (PROFILE.* and MESSAGE.* codes); the schemas check shapes. The body limit
// bounds every string.
const UpdateProfileBody = z.strictObject({
  displayName: z.string().optional(),
  bio: z.string().nullable().optional().meta({ description: `At most 500 characters; null or '' clears it` }),
  avatarUrl: z.string().nullable().optional().meta({ description: `An https URL; null or '' clears it` }),
});
const SendMessageBody = z.strictObject({
  to: z.string().min(1).max(200).meta({ description: 'The recipient user id' }),
  text: z.string().meta({ description: '1 to 2000 characters, trimmed' }),
});

/** The caller's user id: the subject of their token or key (user ids are uuids, kept in lower case). */
function callerOf(ctx: Context): string {
  const { sub } = principalOf(ctx);
  return isUuid(sub) ? sub.toLowerCase() : sub;
}

function userIdParam(id: string | undefined, code: string): string {
  if (id === undefined || !isUuid(id)) throw new NotFound(code, `User ${id ?? ''} does not exist`);
  return id.toLowerCase();
}

function respondToCommand(ctx: Context, status: 200 | 201, result: SocialCommandResult, location?: string): void {
  ctx.status = status;
  if (location !== undefined) ctx.set('Location', location);
  ctx.set('ETag', etag(result.revision));
  if (result.position !== null) ctx.set('X-Chorus-Position', result.position);
  ctx.body = { id: result.id, revision: result.revision, position: result.position };
}

export const socialRoutes = (deps: HttpDependencies) => [
  route({
    method: 'get',
    path: '/v1/profiles/:userId',
    tag: 'polls',
    summary: "A user's profile: name, bio, avatar, and counts of followers, followed users and polls",
    access: 'signed-in',
    headers: READ_HEADERS,
    responses: { 200: '{ userId, displayName, bio, avatarUrl, followers, following, polls }', 404: 'Unknown user (PROFILE.NOT_FOUND)', 503: 'Read model behind' },
    async handle(ctx, { params }) {
      const userId = userIdParam(params.userId, 'PROFILE.NOT_FOUND');
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, profileProjection, reader.db);
      const profile = await getProfile(reader.db, userId);
      if (profile === undefined) throw new NotFound('PROFILE.NOT_FOUND', `User ${userId} does not exist`);
      ctx.body = profile;
    },
  }),
  route({
    method: 'patch',
    path: '/v1/profiles/me',
    tag: 'polls',
    summary: "Change the caller's display name, bio or avatar URL (only the fields sent)",
    access: WRITERS,
    body: UpdateProfileBody,
    headers: ['If-Match'],
    responses: {
      200: '{ id, revision, position }',
      400: 'Nothing to change (PROFILE.EMPTY_UPDATE), a bad name, bio or avatar URL (PROFILE.*)',
      404: 'The caller is not a registered user (PROFILE.NOT_FOUND)',
      412: 'If-Match does not match',
    },
    async handle(ctx, { body, commands }) {
      // The events keep strings: an empty one is how a bio or an avatar is cleared.
      const input = {
        ...(body.displayName === undefined ? {} : { displayName: body.displayName }),
        ...(body.bio === undefined ? {} : { bio: body.bio ?? '' }),
        ...(body.avatarUrl === undefined ? {} : { avatarUrl: body.avatarUrl ?? '' }),
      };
      const expectedRevision = ifMatchRevision(ctx);
      const context = commandContextOf(ctx, expectedRevision);
      respondToCommand(ctx, 200, await updateProfile(commands, callerOf(ctx), input, context));
    },
  }),
  route({
    method: 'post',
    path: '/v1/messages',
    tag: 'polls',
    summary: 'Send a direct message to another user',
    access: WRITERS,
    body: SendMessageBody,
    responses: {
      201: '{ id, revision, position }, Location: the conversation',
      400: 'To yourself (MESSAGE.SELF), empty (MESSAGE.TEXT_EMPTY) or too long (MESSAGE.TEXT_TOO_LONG)',
      403: 'The caller is not a registered user (MESSAGE.SENDER_NOT_A_USER)',
      404: 'Unknown recipient (MESSAGE.RECIPIENT_NOT_FOUND)',
    },
    async handle(ctx, { body, commands }) {
      const result = await sendMessage(commands, callerOf(ctx), body, commandContextOf(ctx));
      respondToCommand(ctx, 201, result, `/v1/conversations/${encodeURIComponent(body.to.toLowerCase())}`);
    },
  }),
  route({
    method: 'get',
    path: '/v1/conversations',
    tag: 'polls',
    summary: "The caller's conversations, the latest first: per counterpart the last message and the unread count",
    access: 'signed-in',
    query: PageQuery,
    headers: READ_HEADERS,
    responses: { 200: '{ items: [{ userId, lastMessage, unreadCount }], nextCursor }', 400: 'Invalid limit or cursor', 503: 'Read model behind' },
    async handle(ctx, { query }) {
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, conversationProjection, reader.db);
      ctx.body = await listConversations(reader.db, callerOf(ctx), query);
    },
  }),
  route({
    method: 'get',
    path: '/v1/conversations/:userId',
    tag: 'polls',
    summary: 'The messages between the caller and a user, newest first',
    access: 'signed-in',
    query: PageQuery,
    headers: READ_HEADERS,
    responses: { 200: '{ items: [{ id, from, to, text, sentAt }], nextCursor }', 400: 'Invalid limit or cursor', 404: 'Not a user id (MESSAGE.USER_NOT_FOUND)', 503: 'Read model behind' },
    async handle(ctx, { params, query }) {
      const counterpartId = userIdParam(params.userId, 'MESSAGE.USER_NOT_FOUND');
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, conversationProjection, reader.db);
      ctx.body = await listMessages(reader.db, callerOf(ctx), counterpartId, query);
    },
  }),
  route({
    method: 'post',
    path: '/v1/conversations/:userId/read',
    tag: 'polls',
    summary: 'Mark every message the user has sent the caller so far as read',
    access: WRITERS,
    responses: { 200: '{ id, revision, position }', 400: 'With yourself (MESSAGE.SELF)', 404: 'Unknown user (MESSAGE.USER_NOT_FOUND)' },
    async handle(ctx, { params, commands }) {
      const counterpartId = userIdParam(params.userId, 'MESSAGE.USER_NOT_FOUND');
      respondToCommand(ctx, 200, await markConversationRead(commands, callerOf(ctx), counterpartId, commandContextOf(ctx)));
    },
  }),
  route({
    method: 'get',
    path: '/v1/notifications',
    tag: 'polls',
    summary: "The caller's notifications, last changed first; unread=true or false filters them",
    access: 'signed-in',
    query: NotificationsQuery,
    headers: READ_HEADERS,
    responses: { 200: '{ items: [{ id, type, createdAt, updatedAt, read, data }], unreadCount, nextCursor }', 400: 'Invalid filter, limit or cursor', 503: 'Read model behind' },
    async handle(ctx, { query }) {
      const reader = readDatabase(ctx, deps);
      await awaitMinPosition(ctx, deps, notificationProjection, reader.db);
      const { unread, ...pageRequest } = query;
      ctx.body = await listNotifications(reader.db, callerOf(ctx), { ...pageRequest, ...(unread === undefined ? {} : { unread: unread === 'true' }) });
    },
  }),
  route({
    method: 'post',
    path: '/v1/notifications/read-all',
    tag: 'polls',
    summary: "Mark every notification of the caller's, as it stands now, as read",
    access: WRITERS,
    responses: { 200: '{ id, revision, position }' },
    async handle(ctx, { commands }) {
      respondToCommand(ctx, 200, await markAllNotificationsRead(commands, callerOf(ctx), commandContextOf(ctx)));
    },
  }),
  route({
    method: 'post',
    path: '/v1/notifications/:id/read',
    tag: 'polls',
    summary: 'Mark one of the caller’s notifications as read',
    access: WRITERS,
    responses: { 200: '{ id, revision, position }', 404: 'Not a notification of the caller (NOTIFICATION.NOT_FOUND)' },
    async handle(ctx, { params, commands }) {
      const id = params.id;
      if (id === undefined || !isUuid(id)) throw new NotFound('NOTIFICATION.NOT_FOUND', `Notification ${id ?? ''} does not exist`);
      // The writer: a notification the caller was just shown is there, whatever a replica has applied.
      const lookup = (userId: string, notificationId: string) => notificationOf(deps.db, userId, notificationId);
      respondToCommand(ctx, 200, await markNotificationRead(commands, lookup, callerOf(ctx), id.toLowerCase(), commandContextOf(ctx)));
    },
  }),
];
