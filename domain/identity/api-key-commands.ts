// Creating and revoking API keys. Nobody grants a role they do not hold; only the owner or an admin revokes.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { Forbidden, IllegalState, NotFound } from '../kernel/errors.js';
import { evolve, initialState, type ApiKey, type ApiKeyEvent } from './api-key-events.js';
import { canonicalRoles, type Role } from './roles.js';

export type CreateApiKey = Command<
  'CreateApiKey',
  { apiKeyId: string; ownerId: string; name: string; roles: readonly Role[]; keyHash: string; creatorRoles: readonly Role[] }
>;

export type RevokeApiKey = Command<'RevokeApiKey', { apiKeyId: string; by: string; byAdmin: boolean }>;

export type ApiKeyCommand = CreateApiKey | RevokeApiKey;

export function decide(command: ApiKeyCommand, state: ApiKey): readonly ApiKeyEvent[] {
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'CreateApiKey': {
      const { apiKeyId, ownerId, name, keyHash, creatorRoles } = command.data;
      if (state.status !== 'initial') throw new IllegalState('APIKEY.ALREADY_EXISTS', `API key ${apiKeyId} already exists`);
      const roles = canonicalRoles(command.data.roles);
      const notHeld = roles.filter((role) => !creatorRoles.includes(role));
      if (notHeld.length > 0) throw new Forbidden('AUTH.ROLE_NOT_HELD', `A key can only hold roles its creator holds; not held: ${notHeld.join(', ')}`);
      return [{ type: 'ApiKeyCreated', data: { apiKeyId, ownerId, name, roles, keyHash, createdAt: at } }];
    }
    case 'RevokeApiKey': {
      const { apiKeyId, by, byAdmin } = command.data;
      // Someone else's key is as unknown to the caller as a key that does not exist.
      if (state.status === 'initial' || (state.ownerId !== by && !byAdmin)) throw new NotFound('APIKEY.NOT_FOUND', `API key ${apiKeyId} does not exist`);
      if (state.status === 'revoked') return [];
      return [{ type: 'ApiKeyRevoked', data: { apiKeyId, revokedBy: by, revokedAt: at } }];
    }
    default:
      return assertNever(command);
  }
}

export const apiKeyDecider: Decider<ApiKey, ApiKeyCommand, ApiKeyEvent> = { decide, evolve, initialState };
