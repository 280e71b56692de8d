// A session: one login's family of refresh tokens. Each refresh rotates the token; the family remembers the hash
// of every token it issued, so that one presented again after its rotation is recognised as stolen.
import { assertNever, type Event } from '../kernel/decider.js';

/** However often it is refreshed, a session ends this long after its login: then the user logs in again. */
export const SESSION_MAX_AGE_MS = 30 * 24 * 3600_000;

export const sessionStreamId = (sessionId: string): string => `session-${sessionId}`;

export type SessionStarted = Event<'SessionStarted', { sessionId: string; userId: string; tokenHash: string; tokenExpiresAt: string; startedAt: string }>;

export type SessionRefreshed = Event<'SessionRefreshed', { sessionId: string; userId: string; tokenHash: string; tokenExpiresAt: string; refreshedAt: string }>;

export type SessionRevoked = Event<'SessionRevoked', { sessionId: string; reason: 'logout' | 'reuse'; revokedAt: string }>;

export type SessionEvent = SessionStarted | SessionRefreshed | SessionRevoked;

type Issued = { sessionId: string; userId: string; startedAt: string; issuedHashes: readonly string[] };

export type Session =
  | { status: 'initial' }
  | (Issued & { status: 'active'; tokenHash: string; tokenExpiresAt: string })
  | (Issued & { status: 'revoked'; reason: 'logout' | 'reuse' });

export const initialState = (): Session => ({ status: 'initial' });

export function evolve(state: Session, event: SessionEvent): Session {
  switch (event.type) {
    case 'SessionStarted': {
      const { sessionId, userId, tokenHash, tokenExpiresAt, startedAt } = event.data;
      return { status: 'active', sessionId, userId, startedAt, tokenHash, tokenExpiresAt, issuedHashes: [tokenHash] };
    }
    case 'SessionRefreshed': {
      if (state.status !== 'active') return state;
      const { tokenHash, tokenExpiresAt } = event.data;
      return { ...state, tokenHash, tokenExpiresAt, issuedHashes: [...state.issuedHashes, tokenHash] };
    }
    case 'SessionRevoked': {
      if (state.status === 'initial') return state;
      const { sessionId, userId, startedAt, issuedHashes } = state;
      return { status: 'revoked', sessionId, userId, startedAt, issuedHashes, reason: event.data.reason };
    }
    default:
      return assertNever(event);
  }
}
