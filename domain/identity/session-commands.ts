// Starting, refreshing and ending a session. A refresh token works once: presenting one the session has already
// rotated past is taken as theft, and the answer is to revoke the whole session, its newest token included.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { IllegalState, Unauthenticated } from '../kernel/errors.js';
import { evolve, initialState, SESSION_MAX_AGE_MS, type Session, type SessionEvent } from './session-events.js';

export type StartSession = Command<'StartSession', { sessionId: string; userId: string; tokenHash: string; tokenExpiresAt: string }>;

export type RefreshSession = Command<'RefreshSession', { sessionId: string; presentedHash: string; nextHash: string; nextExpiresAt: string }>;

export type EndSession = Command<'EndSession', { sessionId: string; presentedHash: string }>;

export type SessionCommand = StartSession | RefreshSession | EndSession;

export const invalidRefreshToken = (): Unauthenticated =>
  new Unauthenticated('AUTH.INVALID_REFRESH_TOKEN', 'The refresh token is not valid: it is unknown, expired or revoked. Log in again.');

export const refreshTokenReused = (): Unauthenticated =>
  new Unauthenticated('AUTH.REFRESH_REUSED', 'This refresh token was already used: the session is revoked. Log in again.');

export function decide(command: SessionCommand, state: Session): readonly SessionEvent[] {
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'StartSession': {
      if (state.status !== 'initial') throw new IllegalState('SESSION.ALREADY_STARTED', `Session ${command.data.sessionId} already exists`);
      const { sessionId, userId, tokenHash, tokenExpiresAt } = command.data;
      return [{ type: 'SessionStarted', data: { sessionId, userId, tokenHash, tokenExpiresAt, startedAt: at } }];
    }
    case 'RefreshSession': {
      const { sessionId, presentedHash, nextHash, nextExpiresAt } = command.data;
      if (state.status === 'initial' || !state.issuedHashes.includes(presentedHash)) throw invalidRefreshToken();
      const current = state.status === 'active' && state.tokenHash === presentedHash;
      if (!current) {
        // An earlier token of this session: whoever holds it, the session can no longer be trusted.
        if (state.status === 'revoked') throw state.issuedHashes.at(-1) === presentedHash ? invalidRefreshToken() : refreshTokenReused();
        return [{ type: 'SessionRevoked', data: { sessionId, reason: 'reuse', revokedAt: at } }];
      }
      const now = command.metadata.now.getTime();
      if (now >= Date.parse(state.tokenExpiresAt) || now >= Date.parse(state.startedAt) + SESSION_MAX_AGE_MS) throw invalidRefreshToken();
      const capped = Math.min(Date.parse(nextExpiresAt), Date.parse(state.startedAt) + SESSION_MAX_AGE_MS);
      return [{ type: 'SessionRefreshed', data: { sessionId, userId: state.userId, tokenHash: nextHash, tokenExpiresAt: new Date(capped).toISOString(), refreshedAt: at } }];
    }
    case 'EndSession': {
      const { sessionId, presentedHash } = command.data;
      if (state.status === 'initial' || !state.issuedHashes.includes(presentedHash)) throw invalidRefreshToken();
      if (state.status === 'revoked') return [];
      return [{ type: 'SessionRevoked', data: { sessionId, reason: 'logout', revokedAt: at } }];
    }
    default:
      return assertNever(command);
  }
}

/** A session gains an event at every refresh: a refresh reads its snapshot and at most 49 events after it. */
export const sessionDecider: Decider<Session, SessionCommand, SessionEvent> = { decide, evolve, initialState, snapshots: { every: 50, schema: 1 } };
