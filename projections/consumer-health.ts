// Whether a consumer makes progress. A worker can be running and still stuck: retrying the same failing batch,
// or a provider that never answers, while its lag grows. Readiness and metrics read this.

export type ConsumerHealthSnapshot = Readonly<{
  /** Failing without a success for at least the configured time. */
  stuck: boolean;
  /** Failures since the last success. */
  failures: number;
  failingSince: string | null;
  lastError: string | null;
  lastProgressAt: string | null;
}>;

export class ConsumerHealth {
  private failingSinceMs: number | null = null;
  private failures = 0;
  private lastError: string | null = null;
  private lastProgressMs: number | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /** A batch (or a dead letter) was done: whatever failed before is over. */
  progressed(): void {
    this.failingSinceMs = null;
    this.failures = 0;
    this.lastProgressMs = this.now();
  }

  /** `error` must be safe to show (see describeError). */
  failed(error: string): void {
    this.failingSinceMs ??= this.now();
    this.failures++;
    this.lastError = error;
  }

  isStuck(afterMs: number): boolean {
    return this.failingSinceMs !== null && this.now() - this.failingSinceMs >= afterMs;
  }

  snapshot(stuckAfterMs: number): ConsumerHealthSnapshot {
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    return {
      stuck: this.isStuck(stuckAfterMs),
      failures: this.failures,
      failingSince: iso(this.failingSinceMs),
      lastError: this.failures === 0 ? null : this.lastError,
      lastProgressAt: iso(this.lastProgressMs),
    };
  }
}
