// Registering a user and changing their roles. Setting the roles a user already holds is a no-op.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { IllegalState, NotFound } from '../kernel/errors.js';
import { canonicalRoles, type Role } from './roles.js';
import { evolve, initialState, type User, type UserEvent } from './user-events.js';

export type RegisterUser = Command<'RegisterUser', { userId: string; email: string; displayName: string; roles: readonly Role[] }>;

export type ChangeUserRoles = Command<'ChangeUserRoles', { userId: string; roles: readonly Role[] }>;

export type UserCommand = RegisterUser | ChangeUserRoles;

export function decide(command: UserCommand, state: User): readonly UserEvent[] {
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'RegisterUser': {
      if (state.status !== 'initial') throw new IllegalState('USER.ALREADY_EXISTS', `User ${command.data.userId} already exists`);
      const { userId, email, displayName, roles } = command.data;
      return [{ type: 'UserRegistered', data: { userId, email, displayName, roles: canonicalRoles(roles), registeredAt: at } }];
    }
    case 'ChangeUserRoles': {
      const { userId } = command.data;
      if (state.status === 'initial') throw new NotFound('USER.NOT_FOUND', `User ${userId} does not exist`);
      const to = canonicalRoles(command.data.roles);
      const from = canonicalRoles(state.roles);
      if (to.length === from.length && to.every((role, index) => role === from[index])) return [];
      return [{ type: 'UserRolesChanged', data: { userId, from, to, changedAt: at } }];
    }
    default:
      return assertNever(command);
  }
}

export const userDecider: Decider<User, UserCommand, UserEvent> = { decide, evolve, initialState };
