// One email's reservation: the stream, named after the normalised email's hash, that makes emails unique in the
// event store itself. Registering appends here first (no_stream), then creates the user.
import { assertNever, type Event } from '../kernel/decider.js';

export type EmailReserved = Event<'EmailReserved', { email: string; userId: string; reservedAt: string }>;

/** A registration that reserved the email but never created its user (its process died between the two appends). */
export type EmailReservationReleased = Event<'EmailReservationReleased', { email: string; userId: string; releasedAt: string }>;

export type EmailReservationEvent = EmailReserved | EmailReservationReleased;

export type EmailReservation = { status: 'free' } | { status: 'reserved'; userId: string; reservedAt: string };

export const initialState = (): EmailReservation => ({ status: 'free' });

export function evolve(state: EmailReservation, event: EmailReservationEvent): EmailReservation {
  switch (event.type) {
    case 'EmailReserved':
      return { status: 'reserved', userId: event.data.userId, reservedAt: event.data.reservedAt };
    case 'EmailReservationReleased':
      return { status: 'free' };
    default:
      return assertNever(event);
  }
}
