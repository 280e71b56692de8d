// API keys: created by a user for machines, with some of that user's roles, shown once and kept only as a hash.
// Checking one reads its stream and its owner's, so a revocation or a role taken from the owner counts at once.
import { apiKeyDecider, type CreateApiKey, type RevokeApiKey } from '../../domain/identity/api-key-commands.js';
import { apiKeyStreamId } from '../../domain/identity/api-key-events.js';
import type { Role } from '../../domain/identity/roles.js';
import { Forbidden } from '../../domain/kernel/errors.js';
import { foldStream } from '../kernel/fold-stream.js';
import { handleCommand, type CommandContext, type CommandDependencies, type CommandResult } from '../kernel/handle-command.js';
import type { EventStore } from '../ports/event-store.js';
import { idOfSecret, newSecret, sameDigest, sha256Hex } from './identity-secrets.js';
import { loadUser } from './users.js';

export type CreatedApiKey = CommandResult & Readonly<{ id: string; key: string }>;

export type Creator = Readonly<{ sub: string; roles: readonly Role[] }>;

export async function createApiKey(
  deps: CommandDependencies,
  input: Readonly<{ name: string; roles: readonly Role[] }>,
  creator: Creator,
  context: CommandContext,
): Promise<CreatedApiKey> {
  // The creator's roles as they are now, not as their token says: a role taken away since cannot be granted.
  const user = await loadUser(deps.store, creator.sub);
  if (user.status === 'initial') throw new Forbidden('APIKEY.CREATOR_NOT_A_USER', 'Only registered users create API keys (a development token names no user)');
  const creatorRoles = creator.roles.filter((role) => user.roles.includes(role));
  const apiKeyId = deps.ids.next();
  const key = newSecret('ck', apiKeyId);
  const result = await handleCommand(
    deps,
    apiKeyDecider,
    apiKeyStreamId(apiKeyId),
    (now): CreateApiKey => ({
      type: 'CreateApiKey',
      data: { apiKeyId, ownerId: creator.sub, name: input.name, roles: input.roles, keyHash: sha256Hex(key), creatorRoles },
      metadata: { now },
    }),
    { ...context, newStream: true },
  );
  return { streamId: result.streamId, revision: result.revision, position: result.position, id: apiKeyId, key };
}

export async function revokeApiKey(
  deps: CommandDependencies,
  apiKeyId: string,
  by: Readonly<{ sub: string; admin: boolean }>,
  context: CommandContext,
): Promise<CommandResult & { id: string; revoked: boolean }> {
  const result = await handleCommand(
    deps,
    apiKeyDecider,
    apiKeyStreamId(apiKeyId),
    (now): RevokeApiKey => ({ type: 'RevokeApiKey', data: { apiKeyId, by: by.sub, byAdmin: by.admin }, metadata: { now } }),
    context,
  );
  return { streamId: result.streamId, revision: result.revision, position: result.position, id: apiKeyId, revoked: result.events.length > 0 };
}

export type ApiKeyPrincipal = Readonly<{ sub: string; roles: readonly Role[]; apiKeyId: string }>;

/** Who a key acts for, with the roles both it and its owner hold now; null for anything but a live key. */
export async function apiKeyPrincipal(store: EventStore, key: string): Promise<ApiKeyPrincipal | null> {
  const apiKeyId = idOfSecret('ck', key);
  if (apiKeyId === null) return null;
  const { state } = await foldStream(store, apiKeyDecider, apiKeyStreamId(apiKeyId));
  if (state.status !== 'active' || !sameDigest(state.keyHash, sha256Hex(key))) return null;
  const owner = await loadUser(store, state.ownerId);
  if (owner.status === 'initial') return null;
  return { sub: state.ownerId, roles: state.roles.filter((role) => owner.roles.includes(role)), apiKeyId };
}
