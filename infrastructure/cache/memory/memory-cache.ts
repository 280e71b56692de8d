// The embedded profile's cache: in-process, bounded by entry count, entries expiring after their TTL.
import { LRUCache } from 'lru-cache';
import type { Cache } from '../../../application/ports/cache.js';

export type MemoryCacheOptions = Readonly<{ maxEntries: number }>;

export class MemoryCache implements Cache {
  private readonly entries: LRUCache<string, string>;

  constructor(options: MemoryCacheOptions = { maxEntries: 1000 }) {
    // No default TTL: every set() names its own, so an entry without one cannot slip in.
    this.entries = new LRUCache<string, string>({ max: options.maxEntries });
  }

  async get(key: string): Promise<string | null> {
    return this.entries.get(key) ?? null;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    // lru-cache reads a TTL of 0 as "forever"; the port means seconds to live, so refuse rather than guess.
    if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`ttlSeconds must be a positive number, got ${ttlSeconds}`);
    this.entries.set(key, value, { ttl: Math.ceil(ttlSeconds * 1000) });
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
