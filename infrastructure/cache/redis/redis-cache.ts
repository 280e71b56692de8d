// The server profile's cache. A cache is an optimisation: when Redis is down or slow, get() answers a
// miss and set() does nothing, quickly, and the failure goes to onError instead of the caller.
import { Redis } from 'ioredis';
import type { Cache } from '../../../application/ports/cache.js';

export type RedisCacheOptions = Readonly<{
  /** Prepended to every key, so environments or test runs sharing one Redis stay apart. */
  keyPrefix?: string;
  /** Called once per distinct failure (again after a recovery), not on every reconnect attempt. */
  onError?: (error: Error) => void;
}>;

// A request waits at most this long on the cache; recomputing is cheaper than a stalled response.
const CONNECT_TIMEOUT_MS = 2000;
const COMMAND_TIMEOUT_MS = 500;
const MAX_RECONNECT_DELAY_MS = 5000;

export class RedisCache implements Cache {
  private readonly client: Redis;
  private readonly onError: ((error: Error) => void) | undefined;
  private lastReported: string | null = null;

  constructor(url: string, options: RedisCacheOptions = {}) {
    this.onError = options.onError;
    this.client = new Redis(url, {
      keyPrefix: options.keyPrefix ?? '',
      // Without a connection, commands fail at once instead of queueing behind a reconnect.
      enableOfflineQueue: false,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    });
    // Without an 'error' listener ioredis would print every failed reconnect to stderr.
    this.client.on('error', (error: Error) => this.report(error));
    this.client.on('ready', () => (this.lastReported = null));
  }

  async get(key: string): Promise<string | null> {
    if (this.client.status !== 'ready') return null;
    try {
      return await this.client.get(key);
    } catch (error) {
      this.report(asError(error));
      return null;
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    // A bad TTL is the caller's bug, not Redis being down: say so (Redis would refuse `EX 0` anyway).
    if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`ttlSeconds must be a positive number, got ${ttlSeconds}`);
    if (this.client.status !== 'ready') return;
    try {
      // EX takes whole seconds; rounding up never drops an entry before the caller asked.
      await this.client.set(key, value, 'EX', Math.ceil(ttlSeconds));
    } catch (error) {
      this.report(asError(error));
    }
  }

  async ping(): Promise<void> {
    if (this.client.status !== 'ready') throw new Error(`redis is ${this.client.status}`);
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // Fall through: the connection is going away either way.
      }
    }
    this.client.disconnect();
  }

  private report(error: Error): void {
    if (error.message === this.lastReported) return;
    this.lastReported = error.message;
    try {
      this.onError?.(error);
    } catch {
      // A failing logger must not turn a cache miss into a failed request, nor throw inside ioredis.
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
