// A cache for values that are expensive to compute. Keys carry the version of the data they were computed
// from, so an entry is never older than what it claims to be; TTLs only bound the memory it takes.
export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Throws when the cache's server cannot be reached; omitted by caches without one (in memory). */
  ping?(): Promise<void>;
  close(): Promise<void>;
}
