// One line per configuration variable: its default as it would be written in the environment and what it does.
// The README's Configuration table and .env.example are made from this (scripts/generate-env-example.ts); the
// compiler checks that it names every variable of the schema and no other, and tests/platform that each default
// configures what leaving the variable unset does.
import type { ConfigurationKey } from './config.js';

export type ConfigurationEntry = Readonly<{
  /** The value that configures the same as leaving the variable unset; '' when no single value does. */
  default: string;
  /** The default column of the README when no single value is the default (it depends on other variables). */
  shown?: string;
  /** One line of Markdown: the README's meaning column. */
  description: string;
}>;

export const configurationReference: Readonly<Record<ConfigurationKey, ConfigurationEntry>> = {
  PORT: { default: '3000', description: 'HTTP port (`0`: any free port)' },
  HOST: { default: '127.0.0.1', description: 'interface to listen on (`0.0.0.0` in containers)' },
  CHORUS_DATA_DIR: { default: './.chorus', description: 'embedded profile\'s data directory; `memory://` keeps nothing' },
  DATABASE_URL: { default: '', description: 'PostgreSQL for the event store and read models; unset: embedded PGlite' },
  DATABASE_POOL_MAX: { default: '10', description: 'connections in the pool' },
  DATABASE_PREPARED_STATEMENTS: { default: 'on', description: 'statements with parameters go out as named prepared statements, so each connection parses and plans them once (a quarter of the server\'s CPU per append). `off` behind a pooler in transaction mode that does not keep prepared statements (PgBouncer before 1.21)' },
  LOG_LEVEL: { default: 'info', description: 'pino level: fatal, error, warn, info, debug, trace, silent' },
  CHORUS_MIN_POSITION_TIMEOUT_MS: { default: '5000', description: 'how long a read with `X-Chorus-Min-Position` waits before 503' },
  CHORUS_LIVE_HEARTBEAT_MS: { default: '15000', description: 'how often a live stream (Server-Sent Events, such as a poll\'s results) sends a heartbeat comment (at most 20000)' },
  CHORUS_MAX_POSITION_WAITS: { default: '200', description: 'reads with `X-Chorus-Min-Position` waiting at once per process; one more that would wait answers 503 `READ_MODEL.TOO_MANY_WAITS` at once (`0`: never wait)' },
  CHORUS_POLL_INTERVAL_MS: { default: '1000', description: 'subscriptions look for events at least this often (news of a commit to one of their categories wakes them sooner: in-process at once, from other processes by one NOTIFY per category per burst); also the fallback check of read-your-writes waits on PGlite' },
  CHORUS_SUBSCRIPTION_GATHER_MS: { default: '5', description: 'woken by a commit, a subscription waits this long before reading, so that a burst of commits becomes one batch (0: read at once)' },
  CHORUS_PROJECTION_BATCH_SIZE: { default: '', shown: '`2000` on PostgreSQL, `500` embedded', description: 'events per projection transaction and relay batch (PGlite\'s one connection is the API\'s too, so its transactions stay short)' },
  CHORUS_SHUTDOWN_TIMEOUT_MS: { default: '10000', description: 'after a SIGTERM/SIGINT, exit anyway after this long' },
  CHORUS_PROJECTION_MAX_ATTEMPTS: { default: '5', description: 'attempts at an event that keeps failing in a projection or an enricher before it is dead-lettered' },
  CHORUS_REBUILD_ON_VERSION_CHANGE: { default: 'auto', description: 'a projection whose `version` in code is above its live build\'s: `auto` rebuilds it blue/green when a projector starts, `manual` logs a warning and leaves it to `chorus rebuild`' },
  CHORUS_STUCK_AFTER_MS: { default: '60000', description: 'a projection or enricher failing without progress this long is reported stuck (readiness 503, metrics), and restarted by auto-heal' },
  CHORUS_AUTOHEAL_INTERVAL_MS: { default: '10000', description: 'how often the auto-heal supervisor looks at this process\'s workers (100 ms to 1 h), and `chorus supervise` at its children\'s `/health/ready`' },
  CHORUS_AUTOHEAL_STALL_MS: { default: '120000', description: 'a worker with events to handle that makes no progress this long (its lag not shrinking) is stalled, and restarted' },
  CHORUS_AUTOHEAL_TARGETS: { default: 'api,relay,projector,enricher', description: 'comma-separated roles whose workers (or `chorus supervise` children) are restarted; the others are only watched (a crashed worker is still run again, unrecorded)' },
  CHORUS_PEERS: { default: '', description: 'comma-separated `/health/ready` URLs of the deployment\'s other processes, folded into `GET /v1/ops/health` (unreachable: degraded); `chorus supervise` sets it for its api child' },
  CHORUS_PEER_TIMEOUT_MS: { default: '1500', description: 'how long `GET /v1/ops/health` waits for each peer' },
  DATABASE_REPLICA_URLS: { default: '', description: 'comma-separated read replicas; unset: the writer serves reads' },
  CHORUS_REPLICA_MAX_LAG_MS: { default: '5000', description: 'a replica further behind is skipped (falling back to the writer)' },
  CHORUS_VIEW_CACHE_MB: { default: '32', description: 'memory for single-aggregate views (`GET /v1/feedback/:id`) that an API process keeps from eventual reads of the writer, as JSON; a projection\'s views are dropped when it applies a batch (`0`: keep none)' },
  CHORUS_VIEW_CACHE_MAX_AGE_MS: { default: '10000', description: 'a kept view is read again after this long even without news of its projection (news lost with a projector that died between its commit and its NOTIFY)' },
  KAFKA_BROKERS: { default: '', description: 'comma-separated `host:port`; unset: consumers read the event store directly' },
  KAFKA_TOPIC_PARTITIONS: { default: '6', description: 'partitions of the topics created at start-up' },
  KAFKA_TOPIC_PREFIX: { default: 'chorus', description: 'topics are `<prefix>.<context>`, consumer groups `<prefix>.<store id>.<consumer>`' },
  KAFKA_CLIENT_ID: { default: 'chorus', description: 'Kafka client id' },
  REDIS_URL: { default: '', description: 'cache for stats and the rate limits shared by API processes; unset: both in memory' },
  CHORUS_EVENT_STORE: { default: 'postgres', description: '`postgres` (built in) or `esdb` (EventStoreDB; read models stay in `DATABASE_URL`)' },
  CHORUS_ESDB_URL: { default: '', description: 'EventStoreDB connection string, required with `CHORUS_EVENT_STORE=esdb`' },
  CHORUS_AI_TIMEOUT_MS: { default: '10000', description: 'per AI provider call; a slower provider counts as failed and the next is asked' },
  CHORUS_DIAGRAM_RENDER_TIMEOUT_MS: { default: '15000', description: '(100..600000) how long Graphviz may lay one diagram out for an SVG export before it answers 422 DIAGRAM.TOO_COMPLEX (see [Diagrams](#diagrams))' },
  CHORUS_DIAGRAM_RENDER_QUEUE: { default: '16', description: '(1..10000) DOT checks (saves) and SVG exports that may each wait for Graphviz in a process, beyond the one it runs; more are answered 503 DIAGRAM.RENDERER_BUSY' },
  CHORUS_DRAFTS_BUCKET_WINDOW: { default: '20', description: '(1..1000) evaluations of a speaker the bucket recommender averages (see [Drafts: evaluation](#drafts-evaluation-buckets-and-the-dashboard))' },
  CHORUS_AI_PROVIDERS: { default: '', shown: '`local`, or `gemini,local` when `GEMINI_API_KEY` is set', description: 'comma-separated AI providers (`gemini`, `local`), asked in this order; naming `gemini` requires `GEMINI_API_KEY`' },
  GEMINI_API_KEY: { default: '', description: 'Google Gemini API key; a secret: never logged, echoed in errors or shown in health. Unset: no Gemini provider' },
  GEMINI_MODEL: { default: 'gemini-2.0-flash', description: 'Gemini model name' },
  GEMINI_BASE_URL: { default: '', description: 'Gemini API origin (a proxy, a test double); unset: Google\'s' },
  CHORUS_IDEMPOTENCY_LEASE_MS: { default: '60000', description: 'how long a claimed `Idempotency-Key` whose request never finished (its process died) answers 409 before a retry may run it' },
  CHORUS_HTTP_REQUEST_TIMEOUT_MS: { default: '30000', description: 'the whole request (headers and body) must arrive within this, or 408' },
  CHORUS_HTTP_HEADERS_TIMEOUT_MS: { default: '10000', description: 'the request headers must arrive within this, or 408' },
  CHORUS_SIGNUP: { default: 'open', description: '`closed`: `POST /v1/auth/register` answers 403 `AUTH.SIGNUP_CLOSED` (accounts come from `chorus users create` and admins)' },
  CHORUS_JWT_SECRET: { default: '', description: 'HS256 key of access tokens, at least 32 bytes, a secret; required with `DATABASE_URL` (unless `CHORUS_JWT_PRIVATE_KEY_FILE` is set), by every process (each serves `/metrics` and `/v1/ops/*` to operators), and the same in all of them. Unset in the embedded profile: a key made on first start and kept in `<data dir>/jwt-secret` (mode 0600)' },
  CHORUS_JWT_PRIVATE_KEY_FILE: { default: '', description: 'instead of `CHORUS_JWT_SECRET`: a PEM (PKCS#8) private key, Ed25519, P-256 or RSA of 2048 bits or more; tokens are signed EdDSA, ES256 or RS256 and verified with its public half, that algorithm only' },
  CHORUS_JWT_ISSUER: { default: 'chorus', description: 'what access tokens are issued with (`iss`) and verified against' },
  CHORUS_JWT_AUDIENCE: { default: 'chorus-api', description: 'what access tokens are issued for (`aud`) and verified against' },
  CHORUS_ACCESS_TOKEN_TTL: { default: '15m', description: 'access token lifetime (`900`, `15m`, `1h`; 1 minute to 1 day)' },
  CHORUS_REFRESH_TOKEN_TTL: { default: '7d', description: 'each refresh token\'s lifetime (a session ends 30 days after its login however often it is refreshed)' },
  CHORUS_ALLOW_DEV_TOKENS: { default: '0', description: '`1`: `chorus token` may sign development tokens with `CHORUS_JWT_SECRET` for a server profile' },
  CHORUS_METRICS_TOKEN: { default: '', description: '`/metrics` also admits `Authorization: Bearer <this>` (Prometheus); 16 to 512 printable characters, a secret' },
  CHORUS_RATE_LIMIT_USER_PER_MIN: { default: '100', description: 'requests per minute per signed-in user (by `sub`)' },
  CHORUS_RATE_LIMIT_IP_PER_MIN: { default: '1000', description: 'requests per minute per client address' },
  CHORUS_RATE_LIMIT_PASSWORD_PER_MIN: { default: '30', description: 'logins and registrations per minute per client address (each hashes a password: about 100 ms of CPU)' },
  CHORUS_RATE_LIMIT_AI_PER_MIN: { default: '30', description: '`POST /v1/ai/orchestrate` calls per minute per signed-in user (each may be a paid model call), on top of the per-user limit; counted once the caller\'s role is admitted' },
  CHORUS_TRUST_PROXY: { default: '0', description: '`1`: the client address is the last one in `X-Forwarded-For` (the one your proxy appended); otherwise the socket\'s' },
  CHORUS_ALLOWED_HOSTS: { default: '', description: 'comma-separated host names (`api.example.com`, `localhost`, `*.example.com`, or `host:port` for one port); set: other `Host` headers get 400 `HTTP.HOST_NOT_ALLOWED` (DNS rebinding), health probes excepted' },
  CHORUS_CORS_ORIGINS: { default: '', description: 'comma-separated origins (`https://app.example.com`) whose browsers may call the API; unset: none' },
  CHORUS_HTTP_MAX_CONNECTIONS: { default: '1000', description: 'open connections per process; more are closed at once' },
  CHORUS_AUDIT_REFUSALS_PER_SOURCE_PER_MIN: { default: '20', description: 'refusals (401, 403, failed logins) from one address recorded one by one per minute; the rest of that minute\'s become one `audit.suppressed` entry with their count' },
};
