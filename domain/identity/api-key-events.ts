// An API key: a machine's credential, owned by a user, holding some of that user's roles. Only the key's hash
// is kept; the key itself is shown once, when it is created.
import { assertNever, type Event } from '../kernel/decider.js';
import type { Role } from './roles.js';

export const API_KEY_NAME_MAX_LENGTH = 100;

export const apiKeyStreamId = (apiKeyId: string): string => `apikey-${apiKeyId}`;

export type ApiKeyCreated = Event<'ApiKeyCreated', { apiKeyId: string; ownerId: string; name: string; roles: readonly Role[]; keyHash: string; createdAt: string }>;

export type ApiKeyRevoked = Event<'ApiKeyRevoked', { apiKeyId: string; revokedBy: string; revokedAt: string }>;

export type ApiKeyEvent = ApiKeyCreated | ApiKeyRevoked;

export const API_KEY_EVENT_TYPES: readonly ApiKeyEvent['type'][] = ['ApiKeyCreated', 'ApiKeyRevoked'];

type Created = { apiKeyId: string; ownerId: string; name: string; roles: readonly Role[]; keyHash: string };

export type ApiKey = { status: 'initial' } | (Created & { status: 'active' }) | (Created & { status: 'revoked' });

export const initialState = (): ApiKey => ({ status: 'initial' });

export function evolve(state: ApiKey, event: ApiKeyEvent): ApiKey {
  switch (event.type) {
    case 'ApiKeyCreated': {
      const { apiKeyId, ownerId, name, roles, keyHash } = event.data;
      return { status: 'active', apiKeyId, ownerId, name, roles, keyHash };
    }
    case 'ApiKeyRevoked':
      return state.status === 'initial' ? state : { ...state, status: 'revoked' };
    default:
      return assertNever(event);
  }
}
