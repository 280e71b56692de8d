// Request limits per client address and per user, and the lockout of an email after failed logins, with
// rate-limiter-flexible. With REDIS_URL the counters live in Redis, shared by every API process, each limiter
// insured by one in memory that takes over at once while Redis is unreachable; otherwise they live in memory.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AttemptLimiter } from '../../application/ports/attempt-limiter.js';

export type LimitState = Readonly<{ allowed: boolean; limit: number; remaining: number; resetSeconds: number }>;

export interface RequestLimiter {
  /** Counts one request of `key` and says whether it is within the limit. */
  take(key: string): Promise<LimitState>;
}

export type RateLimits = Readonly<{
  perIp: RequestLimiter;
  perUser: RequestLimiter;
  /** Requests that hash a password (register, login), per client address. */
  passwordAttempts: RequestLimiter;
  /** Requests that run AI tasks on demand (the orchestrator), per user. */
  aiRequests: RequestLimiter;
  loginAttempts: AttemptLimiter;
  close(): Promise<void>;
}>;

export type RateLimitSettings = Readonly<{
  perIpPerMinute: number;
  perUserPerMinute: number;
  passwordAttemptsPerMinute: number;
  aiRequestsPerMinute: number;
  /** Failed logins for one email within `loginWindowSeconds` that lock it out until the window passes. */
  loginFailures: number;
  loginWindowSeconds: number;
  redisUrl: string | undefined;
  /** Separates deployments (and test runs) that share one Redis. */
  keyPrefix: string;
  onRedisError?: (error: Error) => void;
}>;

export const LOGIN_FAILURES = 5;
export const LOGIN_WINDOW_SECONDS = 15 * 60;

const COMMAND_TIMEOUT_MS = 300;

type Store = Readonly<{ limiter(name: string, points: number, seconds: number): RateLimiterAbstract; close(): Promise<void> }>;

export async function openRateLimits(settings: RateLimitSettings): Promise<RateLimits> {
  const store = settings.redisUrl === undefined ? memoryStore() : await redisStore(settings.redisUrl, settings.keyPrefix, settings.onRedisError);
  return {
    perIp: requestLimiter(store.limiter('ip', settings.perIpPerMinute, 60), settings.perIpPerMinute),
    perUser: requestLimiter(store.limiter('user', settings.perUserPerMinute, 60), settings.perUserPerMinute),
    passwordAttempts: requestLimiter(store.limiter('password', settings.passwordAttemptsPerMinute, 60), settings.passwordAttemptsPerMinute),
    aiRequests: requestLimiter(store.limiter('ai', settings.aiRequestsPerMinute, 60), settings.aiRequestsPerMinute),
    loginAttempts: attemptLimiter(store.limiter('login', settings.loginFailures, settings.loginWindowSeconds), settings.loginFailures),
    close: () => store.close(),
  };
}

function memoryStore(): Store {
  return {
    limiter: (name, points, duration) => new RateLimiterMemory({ keyPrefix: name, points, duration }),
    close: async () => undefined,
  };
}

async function redisStore(url: string, keyPrefix: string, onError: ((error: Error) => void) | undefined): Promise<Store> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    // Without a connection, commands fail at once and the insurance limiter answers.
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    // Every request takes one or two counters: those of requests served in one turn of the event loop go to Redis
    // in one write, instead of a write (a system call) each.
    enableAutoPipelining: true,
  });
  let reported: string | null = null;
  client.on('error', (error: Error) => {
    if (error.message !== reported) onError?.(error);
    reported = error.message;
  });
  client.on('ready', () => (reported = null));
  return {
    limiter: (name, points, duration) =>
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${keyPrefix}${name}`,
        points,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points, duration }),
      }),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

function requestLimiter(limiter: RateLimiterAbstract, limit: number): RequestLimiter {
  const state = (result: RateLimiterRes, allowed: boolean): LimitState => ({
    allowed,
    limit,
    remaining: Math.max(0, result.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
  });
  return {
    async take(key) {
      try {
        return state(await limiter.consume(key), true);
      } catch (refusal) {
        if (refusal instanceof RateLimiterRes) return state(refusal, false);
        throw refusal;
      }
    },
  };
}

function attemptLimiter(limiter: RateLimiterAbstract, failures: number): AttemptLimiter {
  const lockedFor = (result: RateLimiterRes | null): number => (result !== null && result.consumedPoints >= failures ? Math.max(1, result.msBeforeNext) : 0);
  return {
    lockedFor: async (key) => lockedFor(await limiter.get(key)),
    async fail(key) {
      try {
        return lockedFor(await limiter.consume(key));
      } catch (refusal) {
        if (refusal instanceof RateLimiterRes) return lockedFor(refusal);
        throw refusal;
      }
    },
    reset: async (key) => {
      await limiter.delete(key);
    },
  };
}
