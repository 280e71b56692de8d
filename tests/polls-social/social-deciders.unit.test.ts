// The social deciders of polls: profiles, messages, and the read marks of conversations and notifications.
import test from 'ava';
import { conversationReadDecider, type MarkConversationRead } from '../../domain/polls/conversation-read.js';
import { messageDecider, type SendMessage } from '../../domain/polls/message.js';
import { notificationReadDecider, type MarkAllNotificationsRead, type MarkNotificationRead } from '../../domain/polls/notification-read.js';
import { profileDecider, type UpdateProfile } from '../../domain/polls/profile.js';
import type { ConversationRead, MessageSent, ProfileUpdated } from '../../domain/polls/social-events.js';
import { DeciderSpecification } from '../support/decider-specification.js';

const now = new Date('2026-12-01T10:00:00.000Z');
const at = now.toISOString();
const ann = '01a2041a-9df6-7589-a81b-b54b10957501';
const bob = '01a2041a-9df6-7589-a81b-b54b10957502';

const profiles = DeciderSpecification(profileDecider);
const update = (data: Partial<UpdateProfile['data']>): UpdateProfile => ({ type: 'UpdateProfile', data: { userId: ann, userKnown: true, ...data }, metadata: { now } });
const updated = (data: Omit<ProfileUpdated['data'], 'userId' | 'updatedAt'>): ProfileUpdated => ({ type: 'ProfileUpdated', data: { userId: ann, ...data, updatedAt: at } });

test('a profile update records the fields given, the display name trimmed', (t) => {
  profiles.given([]).when(update({ displayName: '  Ann  ', bio: 'Polls all day' })).then(t, [updated({ displayName: 'Ann', bio: 'Polls all day' })]);
  profiles.given([]).when(update({ avatarUrl: 'https://img.example.com/ann.png' })).then(t, [updated({ avatarUrl: 'https://img.example.com/ann.png' })]);
});

test('a profile update leaves out what already holds, and decides nothing when nothing changes', (t) => {
  const history = [updated({ displayName: 'Ann', bio: 'Hi' })];
  profiles.given(history).when(update({ displayName: 'Ann', bio: 'Hello' })).then(t, [updated({ bio: 'Hello' })]);
  profiles.given(history).when(update({ displayName: 'Ann', bio: 'Hi' })).then(t, []);
  profiles.given([]).when(update({ bio: '' })).then(t, []); // an empty bio is the default one
  profiles.given(history).when(update({ bio: '' })).then(t, [updated({ bio: '' })]);
});

test('a profile update is refused with a code for each rule', (t) => {
  profiles.given([]).when(update({ userKnown: false, bio: 'x' })).thenThrows(t, 'PROFILE.NOT_FOUND');
  profiles.given([]).when(update({})).thenThrows(t, 'PROFILE.EMPTY_UPDATE');
  profiles.given([]).when(update({ displayName: '   ' })).thenThrows(t, 'PROFILE.DISPLAY_NAME_INVALID');
  profiles.given([]).when(update({ displayName: 'x'.repeat(101) })).thenThrows(t, 'PROFILE.DISPLAY_NAME_INVALID');
  profiles.given([]).when(update({ bio: 'x'.repeat(501) })).thenThrows(t, 'PROFILE.BIO_TOO_LONG');
  profiles.given([]).when(update({ bio: 'x'.repeat(500) })).then(t, [updated({ bio: 'x'.repeat(500) })]);
  for (const avatarUrl of ['http://img.example.com/a.png', 'javascript:alert(1)', 'not a url', 'https://user:pw@img.example.com/a.png', `https://e.com/${'a'.repeat(2000)}`]) {
    profiles.given([]).when(update({ avatarUrl })).thenThrows(t, 'PROFILE.AVATAR_URL_INVALID');
  }
});

const messages = DeciderSpecification(messageDecider);
const messageId = '01a2041a-9df6-7589-a81b-b54b10957509';
const send = (data: Partial<SendMessage['data']> = {}): SendMessage => ({
  type: 'SendMessage',
  data: { messageId, from: ann, to: bob, text: ' Hi Bob ', senderKnown: true, recipientKnown: true, ...data },
  metadata: { now },
});
const sent: MessageSent = { type: 'MessageSent', data: { messageId, from: ann, to: bob, text: 'Hi Bob', sentAt: at } };

test('a message is sent once, its text trimmed', (t) => {
  messages.given([]).when(send()).then(t, [sent]);
  messages.given([sent]).when(send()).thenThrows(t, 'MESSAGE.ALREADY_SENT');
});

test('a message is refused with a code for each rule', (t) => {
  messages.given([]).when(send({ to: ann })).thenThrows(t, 'MESSAGE.SELF');
  messages.given([]).when(send({ recipientKnown: false })).thenThrows(t, 'MESSAGE.RECIPIENT_NOT_FOUND');
  messages.given([]).when(send({ senderKnown: false })).thenThrows(t, 'MESSAGE.SENDER_NOT_A_USER');
  messages.given([]).when(send({ text: ' \n ' })).thenThrows(t, 'MESSAGE.TEXT_EMPTY');
  messages.given([]).when(send({ text: 'x'.repeat(2001) })).thenThrows(t, 'MESSAGE.TEXT_TOO_LONG');
  messages.given([]).when(send({ text: 'x'.repeat(2000) })).then(t, [{ ...sent, data: { ...sent.data, text: 'x'.repeat(2000) } }]);
});

const conversationReads = DeciderSpecification(conversationReadDecider);
const markRead = (data: Partial<MarkConversationRead['data']> = {}, when = now): MarkConversationRead => ({
  type: 'MarkConversationRead',
  data: { readerId: ann, counterpartId: bob, counterpartKnown: true, ...data },
  metadata: { now: when },
});
const read = (upTo: string): ConversationRead => ({ type: 'ConversationRead', data: { readerId: ann, counterpartId: bob, upTo, readAt: upTo } });

test('a conversation is marked read up to the command time, never back', (t) => {
  conversationReads.given([]).when(markRead()).then(t, [read(at)]);
  const later = new Date('2026-12-01T11:00:00.000Z');
  conversationReads.given([read(at)]).when(markRead({}, later)).then(t, [read(later.toISOString())]);
  conversationReads.given([read(later.toISOString())]).when(markRead()).then(t, []);
});

test('a conversation with yourself or with nobody is not marked', (t) => {
  conversationReads.given([]).when(markRead({ counterpartId: ann })).thenThrows(t, 'MESSAGE.SELF');
  conversationReads.given([]).when(markRead({ counterpartKnown: false })).thenThrows(t, 'MESSAGE.USER_NOT_FOUND');
});

const notificationReads = DeciderSpecification(notificationReadDecider);
const notificationId = '01a2041a-9df6-7589-a81b-b54b10957510';
const markOne = (data: Partial<MarkNotificationRead['data']> = {}): MarkNotificationRead => ({
  type: 'MarkNotificationRead',
  data: { userId: ann, notificationId, found: true, read: false, ...data },
  metadata: { now },
});
const markAll: MarkAllNotificationsRead = { type: 'MarkAllNotificationsRead', data: { userId: ann }, metadata: { now } };

test('a notification of the user is marked read; one read already decides nothing; another is not found', (t) => {
  notificationReads.given([]).when(markOne()).then(t, [{ type: 'NotificationRead', data: { userId: ann, notificationId, readAt: at } }]);
  notificationReads.given([]).when(markOne({ read: true })).then(t, []);
  notificationReads.given([]).when(markOne({ found: false })).thenThrows(t, 'NOTIFICATION.NOT_FOUND');
});

test('all notifications are marked read up to the command time', (t) => {
  notificationReads.given([]).when(markAll).then(t, [{ type: 'AllNotificationsRead', data: { userId: ann, upTo: at, readAt: at } }]);
});
