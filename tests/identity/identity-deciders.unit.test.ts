import test from 'ava';
import { apiKeyDecider, type CreateApiKey } from '../../domain/identity/api-key-commands.js';
import type { ApiKeyEvent } from '../../domain/identity/api-key-events.js';
import { ABANDONED_RESERVATION_MS, emailReservationDecider, type ReserveEmail } from '../../domain/identity/email-reservation-commands.js';
import type { EmailReservationEvent } from '../../domain/identity/email-reservation-events.js';
import { isEmailShaped, normalizeEmail } from '../../domain/identity/email.js';
import { sessionDecider, type RefreshSession } from '../../domain/identity/session-commands.js';
import { SESSION_MAX_AGE_MS, type SessionEvent } from '../../domain/identity/session-events.js';
import { userDecider } from '../../domain/identity/user-commands.js';
import type { UserEvent } from '../../domain/identity/user-events.js';
import { DeciderSpecification } from '../support/decider-specification.js';

const now = new Date('2026-12-02T10:00:00.000Z');
const at = now.toISOString();
const userId = '01a2041a-9df6-7589-a81b-b54b1095756f';
const otherId = '01a2041a-9df6-7589-a81b-b54b10957570';

const users = DeciderSpecification(userDecider);
const registered: UserEvent = { type: 'UserRegistered', data: { userId, email: 'ada@example.com', displayName: 'Ada', roles: ['member'], registeredAt: at } };

test('registering a user records them with their roles in canonical order', (t) => {
  users
    .given([])
    .when({ type: 'RegisterUser', data: { userId, email: 'ada@example.com', displayName: 'Ada', roles: ['viewer', 'admin'] }, metadata: { now } })
    .then(t, [{ type: 'UserRegistered', data: { userId, email: 'ada@example.com', displayName: 'Ada', roles: ['admin', 'viewer'], registeredAt: at } }]);
});

test('a user cannot be registered twice', (t) => {
  users.given([registered]).when({ type: 'RegisterUser', data: { userId, email: 'x@example.com', displayName: 'X', roles: [] }, metadata: { now } }).thenThrows(t, 'USER.ALREADY_EXISTS');
});

test('changing roles records from and to; the same set in another order changes nothing; an unknown user is not found', (t) => {
  users
    .given([registered])
    .when({ type: 'ChangeUserRoles', data: { userId, roles: ['viewer', 'member'] }, metadata: { now } })
    .then(t, [{ type: 'UserRolesChanged', data: { userId, from: ['member'], to: ['member', 'viewer'], changedAt: at } }]);
  const changed: UserEvent = { type: 'UserRolesChanged', data: { userId, from: ['member'], to: ['member', 'viewer'], changedAt: at } };
  users.given([registered, changed]).when({ type: 'ChangeUserRoles', data: { userId, roles: ['viewer', 'member'] }, metadata: { now } }).then(t, []);
  users.given([]).when({ type: 'ChangeUserRoles', data: { userId, roles: [] }, metadata: { now } }).thenThrows(t, 'USER.NOT_FOUND');
});

const reservations = DeciderSpecification(emailReservationDecider);
const reserve = (knownHolder: ReserveEmail['data']['knownHolder'], when = now): ReserveEmail => ({
  type: 'ReserveEmail',
  data: { email: 'ada@example.com', userId: otherId, knownHolder },
  metadata: { now: when },
});
const reservedEarlier = (ms: number): EmailReservationEvent => ({
  type: 'EmailReserved',
  data: { email: 'ada@example.com', userId, reservedAt: new Date(now.getTime() - ms).toISOString() },
});

test('a free email is reserved for the new user', (t) => {
  reservations.given([]).when(reserve(null)).then(t, [{ type: 'EmailReserved', data: { email: 'ada@example.com', userId: otherId, reservedAt: at } }]);
});

test('a reserved email is taken: its user exists, or its registration may still be running', (t) => {
  reservations.given([reservedEarlier(ABANDONED_RESERVATION_MS * 2)]).when(reserve({ userId, registered: true })).thenThrows(t, 'USER.EMAIL_TAKEN');
  reservations.given([reservedEarlier(1000)]).when(reserve({ userId, registered: false })).thenThrows(t, 'USER.EMAIL_TAKEN');
  // What the handler saw was about another holder: it proves nothing about this one.
  reservations.given([reservedEarlier(ABANDONED_RESERVATION_MS * 2)]).when(reserve({ userId: otherId, registered: false })).thenThrows(t, 'USER.EMAIL_TAKEN');
  reservations.given([reservedEarlier(ABANDONED_RESERVATION_MS * 2)]).when(reserve(null)).thenThrows(t, 'USER.EMAIL_TAKEN');
});

test('a reservation whose user never came is released and taken over once it is old enough', (t) => {
  reservations
    .given([reservedEarlier(ABANDONED_RESERVATION_MS + 1)])
    .when(reserve({ userId, registered: false }))
    .then(t, [
      { type: 'EmailReservationReleased', data: { email: 'ada@example.com', userId, releasedAt: at } },
      { type: 'EmailReserved', data: { email: 'ada@example.com', userId: otherId, reservedAt: at } },
    ]);
});

test('emails normalise by NFKC, trim and case; shapes are checked', (t) => {
  t.is(normalizeEmail('  Ａda@Example.COM '), 'ada@example.com');
  t.true(isEmailShaped('ada@example.com'));
  t.true(isEmailShaped('jürgen@bücher.de'));
  for (const bad of ['ada', 'ada@', '@example.com', 'ada@example', 'a da@example.com', 'ada@@example.com', `${'a'.repeat(250)}@example.com`]) t.false(isEmailShaped(bad), bad);
});

const sessions = DeciderSpecification(sessionDecider);
const sessionId = '01a2041a-9df6-7589-a81b-b54b10957571';
const later = (ms: number) => new Date(now.getTime() + ms);
const started: SessionEvent = { type: 'SessionStarted', data: { sessionId, userId, tokenHash: 'h0', tokenExpiresAt: later(3600_000).toISOString(), startedAt: at } };
const refreshedTo = (hash: string): SessionEvent => ({ type: 'SessionRefreshed', data: { sessionId, userId, tokenHash: hash, tokenExpiresAt: later(7200_000).toISOString(), refreshedAt: at } });
const refresh = (presentedHash: string, when = now): RefreshSession => ({
  type: 'RefreshSession',
  data: { sessionId, presentedHash, nextHash: 'next', nextExpiresAt: later(3600_000).toISOString() },
  metadata: { now: when },
});

test('the current refresh token rotates to the next', (t) => {
  sessions.given([started]).when(refresh('h0')).then(t, [{ type: 'SessionRefreshed', data: { sessionId, userId, tokenHash: 'next', tokenExpiresAt: later(3600_000).toISOString(), refreshedAt: at } }]);
});

test('an earlier token of the session revokes it; once revoked, earlier tokens are reuse and the newest is simply invalid', (t) => {
  sessions.given([started, refreshedTo('h1')]).when(refresh('h0')).then(t, [{ type: 'SessionRevoked', data: { sessionId, reason: 'reuse', revokedAt: at } }]);
  const revoked: SessionEvent = { type: 'SessionRevoked', data: { sessionId, reason: 'reuse', revokedAt: at } };
  sessions.given([started, refreshedTo('h1'), revoked]).when(refresh('h0')).thenThrows(t, 'AUTH.REFRESH_REUSED');
  sessions.given([started, refreshedTo('h1'), revoked]).when(refresh('h1')).thenThrows(t, 'AUTH.INVALID_REFRESH_TOKEN');
});

test('unknown, expired and over-age tokens are invalid; the next expiry never passes the session maximum', (t) => {
  sessions.given([]).when(refresh('h0')).thenThrows(t, 'AUTH.INVALID_REFRESH_TOKEN');
  sessions.given([started]).when(refresh('forged')).thenThrows(t, 'AUTH.INVALID_REFRESH_TOKEN');
  sessions.given([started]).when(refresh('h0', later(3600_000))).thenThrows(t, 'AUTH.INVALID_REFRESH_TOKEN');
  const nearEnd = later(SESSION_MAX_AGE_MS - 60_000);
  const lateStart: SessionEvent = { ...started, data: { ...started.data, tokenExpiresAt: later(SESSION_MAX_AGE_MS * 2).toISOString() } } as SessionEvent;
  sessions
    .given([lateStart])
    .when({ ...refresh('h0', nearEnd), data: { ...refresh('h0').data, nextExpiresAt: later(SESSION_MAX_AGE_MS * 2).toISOString() } })
    .then(t, [{ type: 'SessionRefreshed', data: { sessionId, userId, tokenHash: 'next', tokenExpiresAt: later(SESSION_MAX_AGE_MS).toISOString(), refreshedAt: nearEnd.toISOString() } }]);
  sessions.given([lateStart]).when(refresh('h0', later(SESSION_MAX_AGE_MS))).thenThrows(t, 'AUTH.INVALID_REFRESH_TOKEN');
});

test('ending a session revokes it once; a token it never issued cannot end it', (t) => {
  sessions.given([started]).when({ type: 'EndSession', data: { sessionId, presentedHash: 'h0' }, metadata: { now } }).then(t, [{ type: 'SessionRevoked', data: { sessionId, reason: 'logout', revokedAt: at } }]);
  const ended: SessionEvent = { type: 'SessionRevoked', data: { sessionId, reason: 'logout', revokedAt: at } };
  sessions.given([started, ended]).when({ type: 'EndSession', data: { sessionId, presentedHash: 'h0' }, metadata: { now } }).then(t, []);
  sessions.given([started]).when({ type: 'EndSession', data: { sessionId, presentedHash: 'guess' }, metadata: { now } }).thenThrows(t, 'AUTH.INVALID_REFRESH_TOKEN');
});

const keys = DeciderSpecification(apiKeyDecider);
const apiKeyId = '01a2041a-9df6-7589-a81b-b54b10957572';
const create = (roles: CreateApiKey['data']['roles'], creatorRoles: CreateApiKey['data']['creatorRoles']): CreateApiKey => ({
  type: 'CreateApiKey',
  data: { apiKeyId, ownerId: userId, name: 'ci', roles, keyHash: 'kh', creatorRoles },
  metadata: { now },
});
const keyCreated: ApiKeyEvent = { type: 'ApiKeyCreated', data: { apiKeyId, ownerId: userId, name: 'ci', roles: ['viewer'], keyHash: 'kh', createdAt: at } };

test('a key holds only roles its creator holds', (t) => {
  keys.given([]).when(create(['viewer'], ['member', 'viewer'])).then(t, [keyCreated]);
  keys.given([]).when(create(['admin'], ['member', 'viewer'])).thenThrows(t, 'AUTH.ROLE_NOT_HELD');
});

test('the owner or an admin revokes a key, once; anyone else finds no such key', (t) => {
  const revoke = (by: string, byAdmin: boolean) => ({ type: 'RevokeApiKey' as const, data: { apiKeyId, by, byAdmin }, metadata: { now } });
  keys.given([keyCreated]).when(revoke(userId, false)).then(t, [{ type: 'ApiKeyRevoked', data: { apiKeyId, revokedBy: userId, revokedAt: at } }]);
  keys.given([keyCreated]).when(revoke(otherId, true)).then(t, [{ type: 'ApiKeyRevoked', data: { apiKeyId, revokedBy: otherId, revokedAt: at } }]);
  keys.given([keyCreated]).when(revoke(otherId, false)).thenThrows(t, 'APIKEY.NOT_FOUND');
  keys.given([]).when(revoke(userId, false)).thenThrows(t, 'APIKEY.NOT_FOUND');
  const revoked: ApiKeyEvent = { type: 'ApiKeyRevoked', data: { apiKeyId, revokedBy: userId, revokedAt: at } };
  keys.given([keyCreated, revoked]).when(revoke(userId, false)).then(t, []);
});
