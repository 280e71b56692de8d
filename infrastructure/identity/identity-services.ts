// What the HTTP layer needs to know who calls and to keep the audit trail: the token signer, the password hasher,
// the credentials table, the rate limits and the audit trail writer, opened together and closed together.
import type { Kysely } from 'kysely';
import type { Upcasting } from '../../application/eventstore/upcasting.js';
import { AuditTrail } from '../../application/identity/audit-trail.js';
import type { AccessTokens } from '../../application/ports/access-tokens.js';
import type { Clock } from '../../application/ports/clock.js';
import type { Credentials } from '../../application/ports/credentials.js';
import type { EventStore } from '../../application/ports/event-store.js';
import type { Ids } from '../../application/ports/ids.js';
import type { PasswordHasher } from '../../application/ports/password-hasher.js';
import type { Schema } from '../../projections/schema.js';
import type { Config } from '../config.js';
import type { Logger } from '../logging.js';
import type { Metrics } from '../metrics.js';
import { LOGIN_FAILURES, LOGIN_WINDOW_SECONDS, openRateLimits, type RateLimits } from '../ratelimit/rate-limits.js';
import { CredentialsTable } from './credentials-table.js';
import { JwtAccessTokens } from './jwt-access-tokens.js';
import { ScryptPasswordHasher } from './scrypt-password-hasher.js';
import { loadSigningKey } from './signing-key.js';

export type IdentityServices = Readonly<{
  tokens: AccessTokens;
  hasher: PasswordHasher;
  credentials: Credentials;
  limits: RateLimits;
  audit: AuditTrail;
  close(): Promise<void>;
}>;

export type IdentityParts = Readonly<{
  config: Config;
  logger: Logger;
  metrics: Metrics;
  db: Kysely<Schema>;
  store: EventStore;
  ids: Ids;
  clock: Clock;
  upcasting: Upcasting;
  /** Names this deployment's keys in a Redis other deployments may share. */
  storeId: string;
}>;

const AUDIT_FLUSH_MS = 200;
const AUDIT_MAX_PENDING = 10_000;

export async function accessTokensOf(config: Config, ids: Ids, clock: Clock): Promise<AccessTokens> {
  const key = await loadSigningKey(config);
  return new JwtAccessTokens({ key, issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds: config.accessTokenTtlSeconds }, ids, clock);
}

export async function openIdentity({ config, logger, metrics, db, store, ids, clock, upcasting, storeId }: IdentityParts): Promise<IdentityServices> {
  const tokens = await accessTokensOf(config, ids, clock);
  const limits = await openRateLimits({
    perIpPerMinute: config.rateLimitIpPerMinute,
    perUserPerMinute: config.rateLimitUserPerMinute,
    passwordAttemptsPerMinute: config.rateLimitPasswordPerMinute,
    aiRequestsPerMinute: config.rateLimitAiPerMinute,
    loginFailures: LOGIN_FAILURES,
    loginWindowSeconds: LOGIN_WINDOW_SECONDS,
    redisUrl: config.redisUrl,
    keyPrefix: `chorus:${storeId}:rate:`,
    onRedisError: (error) => logger.warn({ err: error }, 'rate limits: Redis failed; limiting in memory until it is back'),
  });
  const audit = new AuditTrail(store, ids, clock, upcasting, {
    flushMs: AUDIT_FLUSH_MS,
    allowancePerMinute: config.auditRefusalsPerSourcePerMinute,
    maxPending: AUDIT_MAX_PENDING,
    onEntry: (type) => metrics.securityEvents.inc({ type }),
    onDropped: (count) => metrics.auditDropped.inc(count),
    onError: (error) => logger.warn({ err: error }, 'audit trail: append failed; will try again'),
  });
  return {
    tokens,
    hasher: new ScryptPasswordHasher(),
    credentials: new CredentialsTable(db),
    limits,
    audit,
    close: async () => {
      await audit.close();
      await limits.close();
    },
  };
}
