// Logging in, refreshing and logging out. A login checks the password against the credentials of the user the
// email's reservation names, starts a session (a family of refresh tokens) and issues a short access token.
import type { Role } from '../../domain/identity/roles.js';
import { invalidRefreshToken, refreshTokenReused, sessionDecider, type EndSession, type RefreshSession, type StartSession } from '../../domain/identity/session-commands.js';
import { sessionStreamId, type SessionRefreshed } from '../../domain/identity/session-events.js';
import { RateLimited, Unauthenticated } from '../../domain/kernel/errors.js';
import { handleCommand, type CommandContext, type CommandDependencies } from '../kernel/handle-command.js';
import type { AccessTokens } from '../ports/access-tokens.js';
import type { AttemptLimiter } from '../ports/attempt-limiter.js';
import type { Credentials } from '../ports/credentials.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import { idOfSecret, newSecret, sha256Hex } from './identity-secrets.js';
import { emailDigest, loadUser, userOfEmail } from './users.js';

export type SessionDependencies = CommandDependencies &
  Readonly<{
    hasher: PasswordHasher;
    credentials: Credentials;
    tokens: AccessTokens;
    loginAttempts: AttemptLimiter;
    refreshTokenTtlMs: number;
  }>;

export type TokenPair = Readonly<{ accessToken: string; refreshToken: string; tokenType: 'Bearer'; expiresIn: number }>;

const invalidCredentials = (): Unauthenticated => new Unauthenticated('AUTH.INVALID_CREDENTIALS', 'The email or the password is wrong');

/** Identifies the account an attempt was aimed at in logs and the audit trail, without naming its email. */
export const loginSubject = (email: string): string => `email:${emailDigest(email).slice(0, 16)}`;

export async function login(deps: SessionDependencies, input: Readonly<{ email: string; password: string }>, context: CommandContext): Promise<TokenPair> {
  const attemptKey = emailDigest(input.email);
  const lockedMs = await deps.loginAttempts.lockedFor(attemptKey);
  if (lockedMs > 0) throw tooManyAttempts(lockedMs);
  const user = await userOfEmail(deps.store, input.email);
  const passwordHash = user === null ? null : await deps.credentials.passwordHashOf(user.userId);
  // An unknown email costs a hash too, so that the answer's timing does not say whether the account exists.
  const matches = await deps.hasher.verify(input.password, passwordHash);
  if (!matches || user === null) {
    await deps.loginAttempts.fail(attemptKey);
    throw invalidCredentials();
  }
  await deps.loginAttempts.reset(attemptKey);
  const { userId } = user;
  const sessionId = deps.ids.next();
  const refreshToken = newSecret('rt', sessionId);
  const tokenExpiresAt = new Date(deps.clock.now().getTime() + deps.refreshTokenTtlMs).toISOString();
  await handleCommand(
    deps,
    sessionDecider,
    sessionStreamId(sessionId),
    (now): StartSession => ({ type: 'StartSession', data: { sessionId, userId, tokenHash: sha256Hex(refreshToken), tokenExpiresAt }, metadata: { now } }),
    { ...context, actor: { sub: userId, roles: user.roles }, newStream: true },
  );
  return pair(deps.tokens, userId, user.roles, refreshToken);
}

/** Rotates a refresh token: the presented one stops working and a new pair comes back, with the user's roles as they are now. */
export async function refresh(deps: SessionDependencies, refreshToken: string, context: CommandContext): Promise<TokenPair> {
  const sessionId = idOfSecret('rt', refreshToken);
  if (sessionId === null) throw invalidRefreshToken();
  const next = newSecret('rt', sessionId);
  const nextExpiresAt = new Date(deps.clock.now().getTime() + deps.refreshTokenTtlMs).toISOString();
  const result = await handleCommand(
    deps,
    sessionDecider,
    sessionStreamId(sessionId),
    (now): RefreshSession => ({ type: 'RefreshSession', data: { sessionId, presentedHash: sha256Hex(refreshToken), nextHash: sha256Hex(next), nextExpiresAt }, metadata: { now } }),
    context,
  );
  const refreshed = result.events.find((event): event is SessionRefreshed => event.type === 'SessionRefreshed');
  if (refreshed === undefined) throw refreshTokenReused(); // the session was revoked for the reuse just now
  const { userId } = refreshed.data;
  const user = await loadUser(deps.store, userId);
  if (user.status === 'initial') throw invalidRefreshToken();
  return pair(deps.tokens, userId, user.roles, next);
}

/** Ends the session the refresh token belongs to: every token of it stops working. */
export async function logout(deps: SessionDependencies, refreshToken: string, context: CommandContext): Promise<void> {
  const sessionId = idOfSecret('rt', refreshToken);
  if (sessionId === null) throw invalidRefreshToken();
  await handleCommand(
    deps,
    sessionDecider,
    sessionStreamId(sessionId),
    (now): EndSession => ({ type: 'EndSession', data: { sessionId, presentedHash: sha256Hex(refreshToken) }, metadata: { now } }),
    context,
  );
}

async function pair(tokens: AccessTokens, sub: string, roles: readonly Role[], refreshToken: string): Promise<TokenPair> {
  const access = await tokens.issue({ sub, roles });
  return { accessToken: access.token, refreshToken, tokenType: 'Bearer', expiresIn: access.expiresIn };
}

function tooManyAttempts(lockedMs: number): RateLimited {
  const seconds = Math.max(1, Math.ceil(lockedMs / 1000));
  return new RateLimited('AUTH.TOO_MANY_ATTEMPTS', `Too many failed logins for this email; try again in ${seconds} s`, seconds);
}
