// Retrying work with exponential backoff, the one way consumers do it: failures of the infrastructure are
// retried for as long as it takes, any other failure at most `maxAttempts` times, and the signal ends it.

export type RetryOptions = Readonly<{
  /** Failures that are not transient allowed before giving up; Infinity never gives up. */
  maxAttempts: number;
  minMs: number;
  maxMs: number;
  isTransient: (error: unknown) => boolean;
  signal: AbortSignal;
  /** Called on every failure, before the pause. */
  onFailure?: (error: unknown, transient: boolean, failures: number) => void | Promise<void>;
}>;

export type GaveUp = Readonly<{ error: unknown; attempts: number }>;

/** Settles with undefined once `work` succeeds, or with the last error after `maxAttempts`; throws once the signal aborts. */
export async function retry(work: () => Promise<void>, options: RetryOptions): Promise<GaveUp | undefined> {
  let failures = 0;
  for (let pause = options.minMs; ; pause = Math.min(pause * 2, options.maxMs)) {
    try {
      await work();
      return undefined;
    } catch (error) {
      const transient = options.isTransient(error);
      if (!transient) failures++;
      await options.onFailure?.(error, transient, failures);
      if (options.signal.aborted) throw new Aborted(error);
      if (failures >= options.maxAttempts) return { error, attempts: failures };
      await pauseUnlessAborted(pause, options.signal);
    }
  }
}

/** The signal aborted while work was failing; `cause` is the last failure. */
export class Aborted extends Error {
  constructor(cause: unknown) {
    super('Stopped while retrying', { cause });
    this.name = 'Aborted';
  }
}

export function pauseUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
