// Configuration comes from the environment only, validated once at start-up.
import path from 'node:path';
import { z } from 'zod';

const integer = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/**
 * Events per projection transaction (and relay batch) when CHORUS_PROJECTION_BATCH_SIZE is unset. A catch-up on
 * PostgreSQL waits on round trips more than on either side's CPU, so larger batches go faster (100k events: about
 * 17k ev/s at 500, 28k at 2000 on the performance issue's machine); on PGlite the API shares the one connection
 * with the projectors, so their transactions stay short.
 */
export const DEFAULT_PROJECTION_BATCH_SIZE = { postgres: 2000, embedded: 500 } as const;

export const AI_PROVIDERS = ['local', 'gemini'] as const;
export type AiProviderName = (typeof AI_PROVIDERS)[number];

/** `90`, `90s`, `15m`, `1h`, `7d`: a duration in whole seconds. */
export const DURATION = /^(\d{1,9})([smhd]?)$/;
const SECONDS_PER: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  return match === null ? null : Number(match[1]) * SECONDS_PER[match[2]!]!;
}

const duration = (min: number, max: number, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const seconds = parseDuration(text);
      if (seconds === null || seconds < min || seconds > max) {
        ctx.addIssue({ code: 'custom', message: `a duration from ${min} s to ${max} s, such as 900, 15m, 1h or 7d` });
        return z.NEVER;
      }
      return seconds;
    });

const list = (item: z.ZodString) =>
  z
    .string()
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .pipe(z.array(item));

const flag = z.enum(['0', '1', 'true', 'false']).transform((value) => value === '1' || value === 'true');

const EnvSchema = z.object({
  PORT: integer(0, 65_535, 3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  CHORUS_DATA_DIR: z.string().min(1).default('./.chorus'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_MAX: integer(1, 500, 10),
  DATABASE_PREPARED_STATEMENTS: z.enum(['on', 'off']).default('on'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CHORUS_MIN_POSITION_TIMEOUT_MS: integer(0, 60_000, 5000),
  CHORUS_LIVE_HEARTBEAT_MS: integer(100, 20_000, 15_000),
  CHORUS_POLL_INTERVAL_MS: integer(10, 60_000, 1000),
  CHORUS_SUBSCRIPTION_GATHER_MS: integer(0, 1000, 5),
  CHORUS_PROJECTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).optional(),
  CHORUS_SHUTDOWN_TIMEOUT_MS: integer(100, 300_000, 10_000),
  CHORUS_PROJECTION_MAX_ATTEMPTS: integer(1, 100, 5),
  CHORUS_REBUILD_ON_VERSION_CHANGE: z.enum(['auto', 'manual']).default('auto'),
  DATABASE_REPLICA_URLS: z
    .string()
    .transform((value) => value.split(',').map((url) => url.trim()).filter((url) => url !== ''))
    .pipe(z.array(z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'each must be a postgres:// or postgresql:// URL')))
    .optional(),
  CHORUS_REPLICA_MAX_LAG_MS: integer(0, 3_600_000, 5000),
  CHORUS_VIEW_CACHE_MB: integer(0, 100_000, 32),
  CHORUS_VIEW_CACHE_MAX_AGE_MS: integer(1, 3_600_000, 10_000),
  KAFKA_BROKERS: z
    .string()
    .transform((value) => value.split(',').map((broker) => broker.trim()).filter((broker) => broker !== ''))
    .pipe(z.array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'each must be host:port')).min(1))
    .optional(),
  KAFKA_TOPIC_PARTITIONS: integer(1, 1000, 6),
  KAFKA_CLIENT_ID: z.string().min(1).default('chorus'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, dots, dashes and underscores')
    .default('chorus'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .optional(),
  CHORUS_EVENT_STORE: z.enum(['postgres', 'esdb']).default('postgres'),
  CHORUS_ESDB_URL: z
    .string()
    .regex(/^(esdb|esdb\+discover):\/\/\S+$/, 'must be an esdb:// or esdb+discover:// connection string')
    .optional(),
  CHORUS_AI_TIMEOUT_MS: integer(100, 600_000, 10_000),
  /** Evaluations of a speaker the drafts bucket recommender averages (README: drafts buckets). */
  CHORUS_DRAFTS_BUCKET_WINDOW: integer(1, 1000, 20),
  CHORUS_DIAGRAM_RENDER_TIMEOUT_MS: integer(100, 600_000, 15_000),
  CHORUS_DIAGRAM_RENDER_QUEUE: integer(1, 10_000, 16),
  CHORUS_AI_PROVIDERS: z
    .string()
    .transform((value) => value.split(',').map((name) => name.trim()).filter((name) => name !== ''))
    .pipe(z.array(z.enum(AI_PROVIDERS)).min(1).refine((names) => new Set(names).size === names.length, 'each provider at most once'))
    .optional(),
  // A secret: the messages below never quote it, and Config holds it as a Secret.
  GEMINI_API_KEY: z.string().regex(/^\S+$/, 'must not contain whitespace').optional(),
  GEMINI_MODEL: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a model name such as gemini-2.0-flash').default('gemini-2.0-flash'),
  GEMINI_BASE_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'must be an http:// or https:// URL without query or fragment')
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  CHORUS_HTTP_REQUEST_TIMEOUT_MS: integer(1000, 600_000, 30_000),
  CHORUS_HTTP_HEADERS_TIMEOUT_MS: integer(1000, 600_000, 10_000),
  CHORUS_MAX_POSITION_WAITS: integer(0, 100_000, 200),
  CHORUS_IDEMPOTENCY_LEASE_MS: integer(1000, 3_600_000, 60_000),
  CHORUS_STUCK_AFTER_MS: integer(1000, 86_400_000, 60_000),
  CHORUS_SIGNUP: z.enum(['open', 'closed']).default('open'),
  // Secrets: the messages below never quote them, and Config holds them as Secrets.
  CHORUS_JWT_SECRET: z.string().refine((value) => Buffer.byteLength(value, 'utf8') >= 32, 'at least 32 bytes').optional(),
  CHORUS_METRICS_TOKEN: z.string().regex(/^[\x21-\x7e]{16,512}$/, '16 to 512 printable characters without spaces').optional(),
  CHORUS_JWT_PRIVATE_KEY_FILE: z.string().min(1).max(4096).optional(),
  CHORUS_JWT_ISSUER: z.string().min(1).max(200).default('chorus'),
  CHORUS_JWT_AUDIENCE: z.string().min(1).max(200).default('chorus-api'),
  CHORUS_ACCESS_TOKEN_TTL: duration(60, 86_400, '15m'),
  CHORUS_REFRESH_TOKEN_TTL: duration(300, 30 * 86_400, '7d'),
  CHORUS_ALLOW_DEV_TOKENS: flag.default(false),
  CHORUS_RATE_LIMIT_USER_PER_MIN: integer(1, 10_000_000, 100),
  CHORUS_RATE_LIMIT_IP_PER_MIN: integer(1, 10_000_000, 1000),
  CHORUS_RATE_LIMIT_PASSWORD_PER_MIN: integer(1, 10_000_000, 30),
  CHORUS_RATE_LIMIT_AI_PER_MIN: integer(1, 10_000_000, 30),
  CHORUS_TRUST_PROXY: flag.default(false),
  CHORUS_ALLOWED_HOSTS: list(z.string().regex(/^[A-Za-z0-9.[\]:*-]{1,260}$/, 'each a host name or host:port (*.example.com for subdomains)')).optional(),
  CHORUS_CORS_ORIGINS: list(z.string().regex(/^https?:\/\/[^\s/?#]+$/, 'each an origin such as https://app.example.com')).optional(),
  CHORUS_HTTP_MAX_CONNECTIONS: integer(1, 1_000_000, 1000),
  CHORUS_AUDIT_REFUSALS_PER_SOURCE_PER_MIN: integer(1, 1_000_000, 20),
  CHORUS_AUTOHEAL_INTERVAL_MS: integer(100, 3_600_000, 10_000),
  CHORUS_AUTOHEAL_STALL_MS: integer(500, 86_400_000, 120_000),
  CHORUS_AUTOHEAL_TARGETS: z
    .string()
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .pipe(z.array(z.enum(['api', 'relay', 'projector', 'enricher'], { message: 'each one of api, relay, projector, enricher' })))
    .optional(),
  CHORUS_PEERS: list(z.string().regex(/^https?:\/\/[^\s?#]+$/, 'each an http:// or https:// URL of a /health/ready endpoint')).optional(),
  CHORUS_PEER_TIMEOUT_MS: integer(100, 60_000, 1500),
});

export type ConfigurationKey = keyof typeof EnvSchema.shape;
/** Every variable the configuration reads, in the schema's order: what deployment files may set (tests/platform). */
export const configurationKeys = Object.keys(EnvSchema.shape) as readonly ConfigurationKey[];

export type Config = Readonly<{
  port: number;
  host: string;
  /** Where the embedded database lives (`memory://`: nowhere); unused when `databaseUrl` is set. */
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolMax: number;
  /** Statements with parameters go out as prepared statements (`off` behind a transaction-mode pooler). */
  databasePreparedStatements: boolean;
  /** Memory for single-aggregate views kept by an API process (0: none), and how long at most without news of their projection. */
  viewCacheMegabytes: number;
  viewCacheMaxAgeMs: number;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  minPositionTimeoutMs: number;
  /** How often a live (Server-Sent Events) stream sends a heartbeat comment. */
  liveHeartbeatMs: number;
  pollIntervalMs: number;
  /** Woken by a commit, a subscription waits this long before reading, so that a burst is read as one batch. */
  subscriptionGatherMs: number;
  projectionBatchSize: number;
  shutdownTimeoutMs: number;
  /** Attempts at an event that keeps failing (for reasons other than a lost connection) before it is dead-lettered. */
  projectionMaxAttempts: number;
  /** A projection whose version in code is above the live build's: rebuilt when a projector starts (auto), or left to an operator. */
  rebuildOnVersionChange: 'auto' | 'manual';
  replicaUrls: readonly string[];
  replicaMaxLagMs: number;
  /** Unset: projectors and enrichers read the event store directly. */
  kafkaBrokers: readonly string[] | undefined;
  kafkaTopicPartitions: number;
  kafkaClientId: string;
  /** Topics are `<prefix>.<context>`, consumer groups `<prefix>.<store id>.<consumer>`. */
  kafkaTopicPrefix: string;
  /** Unset: the cache lives in memory. */
  redisUrl: string | undefined;
  eventStore: 'postgres' | 'esdb';
  esdbUrl: string | undefined;
  aiTimeoutMs: number;
  draftsBucketWindow: number;
  /** How long one SVG export may lay a diagram out, and how many checks and exports may each wait for Graphviz. */
  diagramRenderTimeoutMs: number;
  diagramRenderQueue: number;
  /** The AI providers, in the order the chain asks them. */
  aiProviders: readonly AiProviderName[];
  /** Set when GEMINI_API_KEY is. */
  gemini: Readonly<{ apiKey: Secret; model: string; baseUrl: string | undefined }> | undefined;
  /** The whole request (headers and body) must arrive within this; a slower client gets 408. */
  httpRequestTimeoutMs: number;
  /** The request headers must arrive within this. */
  httpHeadersTimeoutMs: number;
  /** X-Chorus-Min-Position waits running at once in this process; one more is answered 503 at once. */
  maxPositionWaits: number;
  /** How long a claimed Idempotency-Key whose request never finished blocks retries before one may run it again. */
  idempotencyLeaseMs: number;
  /** A consumer that has failed without progress for this long is reported stuck (readiness, metrics). */
  stuckAfterMs: number;
  /** Whether anyone may register (`POST /v1/auth/register`); closed: only `chorus users create`. */
  signup: 'open' | 'closed';
  /** Unset: the embedded profile keeps a key in its data directory (see infrastructure/identity/signing-key.ts). */
  jwtSecret: Secret | undefined;
  /** A PEM private key (Ed25519, P-256, RSA) to sign with instead of a shared secret. */
  jwtPrivateKeyFile: string | undefined;
  jwtIssuer: string;
  jwtAudience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** `chorus token` may sign development tokens for a server profile. */
  allowDevTokens: boolean;
  /** Also admits Prometheus to /metrics, as `Authorization: Bearer <token>`. */
  metricsToken: Secret | undefined;
  rateLimitUserPerMinute: number;
  rateLimitIpPerMinute: number;
  /** Logins and registrations per minute per client address: each hashes a password. */
  rateLimitPasswordPerMinute: number;
  /** AI orchestrator calls per minute per signed-in user: each may cost a paid model call. */
  rateLimitAiPerMinute: number;
  /** Take the client's address from X-Forwarded-For (as set by the proxy nearest to Chorus). */
  trustProxy: boolean;
  /** Unset: any Host header. */
  allowedHosts: readonly string[] | undefined;
  /** Origins whose browsers may call the API (CORS); unset: none. */
  corsOrigins: readonly string[];
  /** Connections the HTTP server holds open at once; more are refused until some close. */
  httpMaxConnections: number;
  /** Refusals (401, 403, failed logins) from one address recorded one by one per minute; the rest are counted in one entry. */
  auditRefusalsPerSourcePerMinute: number;
  /** How often the auto-heal supervisor looks at the workers (and `chorus supervise` at its children). */
  autohealIntervalMs: number;
  /** A worker that makes no progress while its lag grows for this long is stalled, and restarted. */
  autohealStallMs: number;
  /** The roles whose workers (or children) the supervisor restarts; the others are only watched. */
  autohealTargets: readonly ('api' | 'relay' | 'projector' | 'enricher')[];
  /** The /health/ready URLs of the other processes of this deployment, folded into /v1/ops/health. */
  peers: readonly string[];
  peerTimeoutMs: number;
}>;

/** CHORUS_DATA_DIR value that keeps the embedded database in memory (tests, demos). */
export const IN_MEMORY = 'memory://';

export class ConfigError extends Error {}

/** A credential: prints and serialises as [redacted], so a logged Config shows none; `reveal()` is for the one client that needs it. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret [redacted]';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as most shells and orchestrators intend.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    // Name the variable and the rule, never the value: it may be a secret.
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.CHORUS_EVENT_STORE === 'esdb' && e.CHORUS_ESDB_URL === undefined) {
    throw new ConfigError('Invalid configuration:\n  CHORUS_ESDB_URL: required when CHORUS_EVENT_STORE=esdb');
  }
  if (e.CHORUS_EVENT_STORE === 'esdb' && e.DATABASE_URL === undefined) {
    throw new ConfigError('Invalid configuration:\n  DATABASE_URL: required when CHORUS_EVENT_STORE=esdb (the read models live in PostgreSQL)');
  }
  if (e.CHORUS_JWT_PRIVATE_KEY_FILE !== undefined && e.CHORUS_JWT_SECRET !== undefined) {
    throw new ConfigError('Invalid configuration:\n  CHORUS_JWT_SECRET: set it or CHORUS_JWT_PRIVATE_KEY_FILE, not both');
  }
  // Unset: Gemini first when it has a key, the local provider always last.
  const aiProviders = e.CHORUS_AI_PROVIDERS ?? (e.GEMINI_API_KEY === undefined ? ['local'] : ['gemini', 'local']);
  if (aiProviders.includes('gemini') && e.GEMINI_API_KEY === undefined) {
    throw new ConfigError('Invalid configuration:\n  GEMINI_API_KEY: required when CHORUS_AI_PROVIDERS names gemini');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.CHORUS_DATA_DIR === IN_MEMORY ? e.CHORUS_DATA_DIR : path.resolve(e.CHORUS_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS === 'on',
    logLevel: e.LOG_LEVEL,
    minPositionTimeoutMs: e.CHORUS_MIN_POSITION_TIMEOUT_MS,
    liveHeartbeatMs: e.CHORUS_LIVE_HEARTBEAT_MS,
    pollIntervalMs: e.CHORUS_POLL_INTERVAL_MS,
    subscriptionGatherMs: e.CHORUS_SUBSCRIPTION_GATHER_MS,
    projectionBatchSize: e.CHORUS_PROJECTION_BATCH_SIZE ?? DEFAULT_PROJECTION_BATCH_SIZE[e.DATABASE_URL === undefined ? 'embedded' : 'postgres'],
    shutdownTimeoutMs: e.CHORUS_SHUTDOWN_TIMEOUT_MS,
    projectionMaxAttempts: e.CHORUS_PROJECTION_MAX_ATTEMPTS,
    rebuildOnVersionChange: e.CHORUS_REBUILD_ON_VERSION_CHANGE,
    replicaUrls: e.DATABASE_REPLICA_URLS ?? [],
    replicaMaxLagMs: e.CHORUS_REPLICA_MAX_LAG_MS,
    viewCacheMegabytes: e.CHORUS_VIEW_CACHE_MB,
    viewCacheMaxAgeMs: e.CHORUS_VIEW_CACHE_MAX_AGE_MS,
    kafkaBrokers: e.KAFKA_BROKERS,
    kafkaTopicPartitions: e.KAFKA_TOPIC_PARTITIONS,
    kafkaClientId: e.KAFKA_CLIENT_ID,
    kafkaTopicPrefix: e.KAFKA_TOPIC_PREFIX,
    redisUrl: e.REDIS_URL,
    eventStore: e.CHORUS_EVENT_STORE,
    esdbUrl: e.CHORUS_ESDB_URL,
    aiTimeoutMs: e.CHORUS_AI_TIMEOUT_MS,
    draftsBucketWindow: e.CHORUS_DRAFTS_BUCKET_WINDOW,
    diagramRenderTimeoutMs: e.CHORUS_DIAGRAM_RENDER_TIMEOUT_MS,
    diagramRenderQueue: e.CHORUS_DIAGRAM_RENDER_QUEUE,
    aiProviders,
    gemini: e.GEMINI_API_KEY === undefined ? undefined : { apiKey: new Secret(e.GEMINI_API_KEY), model: e.GEMINI_MODEL, baseUrl: e.GEMINI_BASE_URL },
    // Node wants the header deadline inside the request deadline.
    httpRequestTimeoutMs: Math.max(e.CHORUS_HTTP_REQUEST_TIMEOUT_MS, e.CHORUS_HTTP_HEADERS_TIMEOUT_MS),
    httpHeadersTimeoutMs: e.CHORUS_HTTP_HEADERS_TIMEOUT_MS,
    maxPositionWaits: e.CHORUS_MAX_POSITION_WAITS,
    idempotencyLeaseMs: e.CHORUS_IDEMPOTENCY_LEASE_MS,
    stuckAfterMs: e.CHORUS_STUCK_AFTER_MS,
    signup: e.CHORUS_SIGNUP,
    jwtSecret: e.CHORUS_JWT_SECRET === undefined ? undefined : new Secret(e.CHORUS_JWT_SECRET),
    jwtPrivateKeyFile: e.CHORUS_JWT_PRIVATE_KEY_FILE === undefined ? undefined : path.resolve(e.CHORUS_JWT_PRIVATE_KEY_FILE),
    jwtIssuer: e.CHORUS_JWT_ISSUER,
    jwtAudience: e.CHORUS_JWT_AUDIENCE,
    accessTokenTtlSeconds: e.CHORUS_ACCESS_TOKEN_TTL,
    refreshTokenTtlSeconds: e.CHORUS_REFRESH_TOKEN_TTL,
    allowDevTokens: e.CHORUS_ALLOW_DEV_TOKENS,
    metricsToken: e.CHORUS_METRICS_TOKEN === undefined ? undefined : new Secret(e.CHORUS_METRICS_TOKEN),
    rateLimitUserPerMinute: e.CHORUS_RATE_LIMIT_USER_PER_MIN,
    rateLimitIpPerMinute: e.CHORUS_RATE_LIMIT_IP_PER_MIN,
    rateLimitPasswordPerMinute: e.CHORUS_RATE_LIMIT_PASSWORD_PER_MIN,
    rateLimitAiPerMinute: e.CHORUS_RATE_LIMIT_AI_PER_MIN,
    trustProxy: e.CHORUS_TRUST_PROXY,
    allowedHosts: e.CHORUS_ALLOWED_HOSTS,
    corsOrigins: e.CHORUS_CORS_ORIGINS ?? [],
    httpMaxConnections: e.CHORUS_HTTP_MAX_CONNECTIONS,
    auditRefusalsPerSourcePerMinute: e.CHORUS_AUDIT_REFUSALS_PER_SOURCE_PER_MIN,
    autohealIntervalMs: e.CHORUS_AUTOHEAL_INTERVAL_MS,
    autohealStallMs: e.CHORUS_AUTOHEAL_STALL_MS,
    autohealTargets: e.CHORUS_AUTOHEAL_TARGETS ?? ['api', 'relay', 'projector', 'enricher'],
    peers: e.CHORUS_PEERS ?? [],
    peerTimeoutMs: e.CHORUS_PEER_TIMEOUT_MS,
  };
}

/** A database URL fit for logs: no user or password. */
export function describeDatabase(config: Config): string {
  if (config.databaseUrl === undefined) {
    return config.dataDir === IN_MEMORY ? 'PGlite in memory' : `PGlite in ${path.join(config.dataDir, 'pgdata')}`;
  }
  const url = new URL(config.databaseUrl);
  return `PostgreSQL at ${url.host}${url.pathname}`;
}
