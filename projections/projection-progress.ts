// In-process news of projection batches. The appliers of this process announce each batch they commit, so a
// read-your-writes wait can sleep until its projection moves instead of asking the database over and over.
// It also bounds how many such waits run at once.

export type ProgressOutcome = 'progressed' | 'elapsed' | 'aborted';

export class ProjectionProgress {
  private readonly announced = new Map<string, number>();
  private readonly sleepers = new Map<string, Set<() => void>>();
  private running = 0;

  /** `maxWaits`: waits allowed at once in this process (0: none). */
  constructor(private readonly maxWaits: number) {}

  /** Called once a batch of `projection` has committed in this process. */
  announce(projection: string): void {
    this.announced.set(projection, this.batches(projection) + 1);
    const sleepers = this.sleepers.get(projection);
    if (sleepers === undefined) return;
    this.sleepers.delete(projection);
    for (const wake of sleepers) wake();
  }

  /** Batches announced so far for `projection`. Take it before reading the database, and hand it to `next`. */
  batches(projection: string): number {
    return this.announced.get(projection) ?? 0;
  }

  /**
   * Resolves 'progressed' once `projection` has had a batch announced past `seen` (at once if it already has),
   * 'elapsed' after `ms` of silence, 'aborted' when `signal` aborts.
   */
  next(projection: string, seen: number, ms: number, signal?: AbortSignal): Promise<ProgressOutcome> {
    if (signal?.aborted) return Promise.resolve('aborted');
    if (this.batches(projection) > seen) return Promise.resolve('progressed');
    return new Promise((resolve) => {
      let sleepers = this.sleepers.get(projection);
      if (sleepers === undefined) {
        sleepers = new Set();
        this.sleepers.set(projection, sleepers);
      }
      const finish = (outcome: ProgressOutcome): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const current = this.sleepers.get(projection);
        current?.delete(wake);
        if (current?.size === 0) this.sleepers.delete(projection);
        resolve(outcome);
      };
      const wake = (): void => finish('progressed');
      const onAbort = (): void => finish('aborted');
      const timer = setTimeout(() => finish('elapsed'), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      sleepers.add(wake);
    });
  }

  /** Takes a place among the `maxWaits`; null when every place is taken. Call what it returns to give it back. */
  enter(): (() => void) | null {
    if (this.running >= this.maxWaits) return null;
    this.running++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.running--;
    };
  }

  /** Waits running now. */
  get waiting(): number {
    return this.running;
  }

  /** Callers of `next` asleep now, for tests: none may be left behind once its wait has ended. */
  get sleeping(): number {
    let count = 0;
    for (const sleepers of this.sleepers.values()) count += sleepers.size;
    return count;
  }
}
