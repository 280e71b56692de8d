// A user: who registered, under which email and name, and the roles they hold. The password is not here: events
// are kept forever and fanned out, so its hash lives in the credentials table, keyed by the user's id.
import { assertNever, type Event } from '../kernel/decider.js';
import type { Role } from './roles.js';

export const DISPLAY_NAME_MAX_LENGTH = 100;

export const userStreamId = (userId: string): string => `user-${userId}`;

export type UserRegistered = Event<'UserRegistered', { userId: string; email: string; displayName: string; roles: readonly Role[]; registeredAt: string }>;

export type UserRolesChanged = Event<'UserRolesChanged', { userId: string; from: readonly Role[]; to: readonly Role[]; changedAt: string }>;

export type UserEvent = UserRegistered | UserRolesChanged;

export const USER_EVENT_TYPES: readonly UserEvent['type'][] = ['UserRegistered', 'UserRolesChanged'];

export type User =
  | { status: 'initial' }
  | { status: 'active'; userId: string; email: string; displayName: string; roles: readonly Role[] };

export const initialState = (): User => ({ status: 'initial' });

export function evolve(state: User, event: UserEvent): User {
  switch (event.type) {
    case 'UserRegistered': {
      const { userId, email, displayName, roles } = event.data;
      return { status: 'active', userId, email, displayName, roles };
    }
    case 'UserRolesChanged':
      return state.status === 'initial' ? state : { ...state, roles: event.data.to };
    default:
      return assertNever(event);
  }
}
