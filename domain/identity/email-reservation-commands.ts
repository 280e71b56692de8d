// Reserving an email for a new user. A reservation whose user was never created is released once it is older
// than any registration takes, so a crash between the two appends cannot lock an email away for good.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { IllegalState } from '../kernel/errors.js';
import { evolve, initialState, type EmailReservation, type EmailReservationEvent } from './email-reservation-events.js';

/** Far longer than a registration's two appends take, even on a loaded machine. */
export const ABANDONED_RESERVATION_MS = 5 * 60_000;

export type ReserveEmail = Command<
  'ReserveEmail',
  {
    email: string;
    userId: string;
    /** Who held the reservation when the handler looked, and whether their user exists (it reads their stream). */
    knownHolder: Readonly<{ userId: string; registered: boolean }> | null;
  }
>;

export type EmailReservationCommand = ReserveEmail;

export function decide(command: EmailReservationCommand, state: EmailReservation): readonly EmailReservationEvent[] {
  switch (command.type) {
    case 'ReserveEmail': {
      const { email, userId, knownHolder } = command.data;
      const now = command.metadata.now;
      const reserved = { type: 'EmailReserved', data: { email, userId, reservedAt: now.toISOString() } } as const;
      if (state.status === 'free') return [reserved];
      // Only what the handler saw of this very holder counts: the reservation may have changed hands since.
      const abandoned =
        knownHolder?.userId === state.userId && !knownHolder.registered && now.getTime() - Date.parse(state.reservedAt) > ABANDONED_RESERVATION_MS;
      if (!abandoned) throw new IllegalState('USER.EMAIL_TAKEN', 'An account with this email already exists');
      return [{ type: 'EmailReservationReleased', data: { email, userId: state.userId, releasedAt: now.toISOString() } }, reserved];
    }
    default:
      return assertNever(command.type);
  }
}

export const emailReservationDecider: Decider<EmailReservation, EmailReservationCommand, EmailReservationEvent> = { decide, evolve, initialState };
