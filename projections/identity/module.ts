// The identity context: users and their email reservations, sessions (refresh-token families), API keys and the
// security audit trail. Its events carry hashes of refresh tokens and keys, never the tokens or keys themselves.
import type { ContextModule } from '../context-module.js';
import { apiKeysProjection } from './api-keys-projection.js';
import { auditProjection } from './audit-projection.js';
import { identityMigrations } from './identity-schema.js';

export const identityModule: ContextModule = {
  name: 'identity',
  categories: ['user', 'email', 'session', 'apikey', 'audit'],
  migrations: identityMigrations,
  projections: [apiKeysProjection, auditProjection],
  enrichers: () => [],
  upcasters: [],
};
