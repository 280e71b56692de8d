// Registering users and changing their roles. An email is unique because registering appends to the stream named
// after it first (no_stream): of two concurrent registrations one append fails, whatever any read model says.
import { ABANDONED_RESERVATION_MS, emailReservationDecider, type ReserveEmail } from '../../domain/identity/email-reservation-commands.js';
import { isEmailShaped, normalizeEmail } from '../../domain/identity/email.js';
import type { Role } from '../../domain/identity/roles.js';
import { userDecider, type ChangeUserRoles, type RegisterUser } from '../../domain/identity/user-commands.js';
import { userStreamId, type User } from '../../domain/identity/user-events.js';
import { IllegalState, ValidationError } from '../../domain/kernel/errors.js';
import { foldStream } from '../kernel/fold-stream.js';
import { handleCommand, type CommandContext, type CommandDependencies, type CommandResult } from '../kernel/handle-command.js';
import type { Credentials } from '../ports/credentials.js';
import type { EventStore } from '../ports/event-store.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import { sha256Hex } from './identity-secrets.js';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

/** An email's normal form, hashed: what names its reservation stream and its login attempts without revealing it. */
export const emailDigest = (email: string): string => sha256Hex(normalizeEmail(email));

/** The reservation stream of an email. */
export const emailStreamId = (email: string): string => `email-${emailDigest(email)}`;

export type RegistrationDependencies = CommandDependencies & Readonly<{ hasher: PasswordHasher; credentials: Credentials }>;

export type RegisterUserInput = Readonly<{ email: string; password: string; displayName: string; roles: readonly Role[] }>;

export type UserCommandResult = CommandResult & Readonly<{ id: string }>;

export async function registerUser(deps: RegistrationDependencies, input: RegisterUserInput, context: CommandContext): Promise<UserCommandResult> {
  const email = normalizeEmail(input.email);
  if (!isEmailShaped(email)) throw new ValidationError('REQUEST.INVALID', 'The request body is invalid', [{ path: 'body.email', message: 'Not an email address' }]);
  const userId = deps.ids.next();
  const startedAt = deps.clock.now().getTime();
  const reservation = emailStreamId(email);
  // Whoever holds the reservation now, and whether their registration finished: an abandoned one is released.
  const { state } = await foldStream(deps.store, emailReservationDecider, reservation);
  const knownHolder = state.status === 'reserved' ? { userId: state.userId, registered: (await loadUser(deps.store, state.userId)).status !== 'initial' } : null;
  await handleCommand(deps, emailReservationDecider, reservation, (now): ReserveEmail => ({ type: 'ReserveEmail', data: { email, userId, knownHolder }, metadata: { now } }), context);
  // A crash from here on leaves a reservation without its user; the next registration of the email releases it.
  await deps.credentials.save(userId, await deps.hasher.hash(input.password));
  // So slow that the reservation may count as abandoned and be taken: give up rather than race for the email.
  if (deps.clock.now().getTime() - startedAt > ABANDONED_RESERVATION_MS / 2) {
    throw new IllegalState('USER.REGISTRATION_TIMED_OUT', 'The registration took too long to finish; try again');
  }
  const result = await handleCommand(
    deps,
    userDecider,
    userStreamId(userId),
    (now): RegisterUser => ({ type: 'RegisterUser', data: { userId, email, displayName: input.displayName, roles: input.roles }, metadata: { now } }),
    { ...context, newStream: true },
  );
  return { streamId: result.streamId, revision: result.revision, position: result.position, id: userId };
}

export async function changeUserRoles(deps: CommandDependencies, userId: string, roles: readonly Role[], context: CommandContext): Promise<UserCommandResult & { changed: boolean }> {
  const result = await handleCommand(deps, userDecider, userStreamId(userId), (now): ChangeUserRoles => ({ type: 'ChangeUserRoles', data: { userId, roles }, metadata: { now } }), context);
  return { streamId: result.streamId, revision: result.revision, position: result.position, id: userId, changed: result.events.length > 0 };
}

export async function loadUser(store: EventStore, userId: string): Promise<User> {
  return (await foldStream(store, userDecider, userStreamId(userId))).state;
}

/** The user an email belongs to, once their registration has finished; null otherwise. */
export async function userOfEmail(store: EventStore, email: string): Promise<Extract<User, { status: 'active' }> | null> {
  const { state } = await foldStream(store, emailReservationDecider, emailStreamId(email));
  if (state.status !== 'reserved') return null;
  const user = await loadUser(store, state.userId);
  return user.status === 'initial' ? null : user;
}
