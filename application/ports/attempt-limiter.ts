/** Counts failed attempts per key (an email) within a window, and says how long a key is locked out. */
export interface AttemptLimiter {
  /** Milliseconds until the key may try again, or 0 when it may now. */
  lockedFor(key: string): Promise<number>;
  /** Counts a failure; answers how long the key is now locked out (0 while under the limit). */
  fail(key: string): Promise<number>;
  /** Forgets the key's failures (after a success). */
  reset(key: string): Promise<void>;
}
