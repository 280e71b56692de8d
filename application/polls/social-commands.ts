// Commands of the social side of polls: profiles, direct messages and the read marks of conversations and
// notifications. Whether a user exists is read from their identity stream (the source of truth), never a read model.
import { conversationReadDecider, type MarkConversationRead } from '../../domain/polls/conversation-read.js';
import { messageDecider, type SendMessage } from '../../domain/polls/message.js';
import {
  notificationReadDecider,
  notificationReadStreamId,
  type MarkAllNotificationsRead,
  type MarkNotificationRead,
} from '../../domain/polls/notification-read.js';
import { profileDecider, type UpdateProfile } from '../../domain/polls/profile.js';
import { conversationReadStreamId, messageStreamId, profileStreamId } from '../../domain/polls/social-events.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import { loadUser } from '../identity/users.js';
import { handleCommand, type CommandContext, type CommandDependencies, type CommandResult } from '../kernel/handle-command.js';
import type { EventStore } from '../ports/event-store.js';

export type SocialCommandResult = CommandResult & Readonly<{ id: string }>;

/** Whether `userId` names a registered user; ids that are not uuids name nobody (and never reach the store). */
export async function isRegisteredUser(store: EventStore, userId: string): Promise<boolean> {
  return isUuid(userId) && (await loadUser(store, userId.toLowerCase())).status === 'active';
}

export type UpdateProfileInput = Readonly<{ displayName?: string; bio?: string; avatarUrl?: string }>;

export async function updateProfile(deps: CommandDependencies, userId: string, input: UpdateProfileInput, context: CommandContext): Promise<SocialCommandResult> {
  const userKnown = await isRegisteredUser(deps.store, userId);
  const result = await handleCommand(
    deps,
    profileDecider,
    profileStreamId(userId),
    (now): UpdateProfile => ({ type: 'UpdateProfile', data: { userId, userKnown, ...input }, metadata: { now } }),
    context,
  );
  return { ...result, id: userId };
}

export async function sendMessage(deps: CommandDependencies, from: string, input: Readonly<{ to: string; text: string }>, context: CommandContext): Promise<SocialCommandResult> {
  const to = isUuid(input.to) ? input.to.toLowerCase() : input.to;
  const [senderKnown, recipientKnown] = await Promise.all([isRegisteredUser(deps.store, from), from === to ? true : isRegisteredUser(deps.store, to)]);
  const messageId = deps.ids.next();
  const result = await handleCommand(
    deps,
    messageDecider,
    messageStreamId(messageId),
    (now): SendMessage => ({ type: 'SendMessage', data: { messageId, from, to, text: input.text, senderKnown, recipientKnown }, metadata: { now } }),
    { ...context, newStream: true },
  );
  return { ...result, id: messageId };
}

export async function markConversationRead(deps: CommandDependencies, readerId: string, counterpartId: string, context: CommandContext): Promise<SocialCommandResult> {
  const counterpartKnown = readerId === counterpartId || (await isRegisteredUser(deps.store, counterpartId));
  const result = await handleCommand(
    deps,
    conversationReadDecider,
    conversationReadStreamId(readerId, counterpartId),
    (now): MarkConversationRead => ({ type: 'MarkConversationRead', data: { readerId, counterpartId, counterpartKnown }, metadata: { now } }),
    context,
  );
  return { ...result, id: counterpartId };
}

/** What the notifications read model says of one notification of the user: null when it is not theirs or unknown. */
export type NotificationLookup = (userId: string, notificationId: string) => Promise<{ read: boolean } | null>;

export async function markNotificationRead(
  deps: CommandDependencies,
  lookup: NotificationLookup,
  userId: string,
  notificationId: string,
  context: CommandContext,
): Promise<SocialCommandResult> {
  const found = await lookup(userId, notificationId);
  const result = await handleCommand(
    deps,
    notificationReadDecider,
    notificationReadStreamId(userId),
    (now): MarkNotificationRead => ({
      type: 'MarkNotificationRead',
      data: { userId, notificationId, found: found !== null, read: found?.read ?? false },
      metadata: { now },
    }),
    context,
  );
  return { ...result, id: notificationId };
}

export async function markAllNotificationsRead(deps: CommandDependencies, userId: string, context: CommandContext): Promise<SocialCommandResult> {
  const result = await handleCommand(
    deps,
    notificationReadDecider,
    notificationReadStreamId(userId),
    (now): MarkAllNotificationsRead => ({ type: 'MarkAllNotificationsRead', data: { userId }, metadata: { now } }),
    context,
  );
  return { ...result, id: userId };
}
