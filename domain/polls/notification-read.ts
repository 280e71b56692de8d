// Read marks of notifications: one stream per user (notificationread-<userId>). Notifications are derived from other
// events by a processor, but whether their user read them is something the user did, so it is an event: a rebuild
// of the notifications read model keeps it, where a flag set in a table would be lost.
import { assertNever, type Command, type Decider, type Event } from '../kernel/decider.js';
import { NotFound } from '../kernel/errors.js';

export const notificationReadStreamId = (userId: string): string => `notificationread-${userId}`;

export type NotificationRead = Event<'NotificationRead', { userId: string; notificationId: string; readAt: string }>;
/** Every notification of the user last changed at or before `upTo` is read. */
export type AllNotificationsRead = Event<'AllNotificationsRead', { userId: string; upTo: string; readAt: string }>;

export type NotificationReadEvent = NotificationRead | AllNotificationsRead;
export const NOTIFICATION_READ_EVENT_TYPES: readonly NotificationReadEvent['type'][] = ['NotificationRead', 'AllNotificationsRead'];

/** Nothing a command depends on: which notifications exist and are read is the read model's to say. */
export type NotificationReads = { status: 'active' };

export const initialState = (): NotificationReads => ({ status: 'active' });

export function evolve(state: NotificationReads, event: NotificationReadEvent): NotificationReads {
  switch (event.type) {
    case 'NotificationRead':
    case 'AllNotificationsRead':
      return state;
    default:
      return assertNever(event);
  }
}

/** `found`: the notification is the user's; `read`: it is read already (both as the read model says). */
export type MarkNotificationRead = Command<'MarkNotificationRead', { userId: string; notificationId: string; found: boolean; read: boolean }>;
export type MarkAllNotificationsRead = Command<'MarkAllNotificationsRead', { userId: string }>;

export type NotificationReadCommand = MarkNotificationRead | MarkAllNotificationsRead;

export function decide(command: NotificationReadCommand, _state: NotificationReads): readonly NotificationReadEvent[] {
  const readAt = command.metadata.now.toISOString();
  switch (command.type) {
    case 'MarkNotificationRead': {
      const { userId, notificationId, found, read } = command.data;
      if (!found) throw new NotFound('NOTIFICATION.NOT_FOUND', `Notification ${notificationId} does not exist`);
      if (read) return [];
      return [{ type: 'NotificationRead', data: { userId, notificationId, readAt } }];
    }
    case 'MarkAllNotificationsRead':
      return [{ type: 'AllNotificationsRead', data: { userId: command.data.userId, upTo: readAt, readAt } }];
    default:
      return assertNever(command);
  }
}

export const notificationReadDecider: Decider<NotificationReads, NotificationReadCommand, NotificationReadEvent> = {
  decide,
  evolve,
  initialState,
  // One event per read: the stream grows for as long as its user reads.
  snapshots: { every: 100, schema: 1 },
};
