// Retrying work with exponential backoff, the one way consumers do it: failures of the infrastructure are
// retried for as long as it takes, any other failure at most `maxAttempts` times, and the signal ends it.

export type RetryOptions = Readonly<{
  /** Failures that are not transient allowed before giving up; Infinity never gives up. */
  maxAttempts: number;
  /** The first pause; each next one doubles, up to `maxMs`. */
  minMs: number;
  maxMs: number;
  /** Transient failures are retried without counting towards `maxAttempts`. Omitted: none is. */
  isTransient?: (error: unknown) => boolean;
  /** Failures no retry can mend: give up at once, with the attempts made so far. Omitted: none is. */
  isFatal?: (error: unknown) => boolean;
  /** Omitted: nothing stops the retries but success or giving up. */
  signal?: AbortSignal;
  /** Called on every failure, before the pause; not for one that comes once the signal has aborted. */
  onFailure?: (error: unknown, transient: boolean, failures: number) => void | Promise<void>;
}>;

export type GaveUp = Readonly<{ error: unknown; attempts: number }>;

/** Settles with undefined once `work` succeeds, or with the last error after `maxAttempts`; throws once the signal aborts. */
export async function retry(work: () => Promise<void>, options: RetryOptions): Promise<GaveUp | undefined> {
  const stopped = (): boolean => options.signal?.aborted === true;
  let failures = 0;
  for (let pause = options.minMs; ; pause = Math.min(pause * 2, options.maxMs)) {
    try {
      await work();
      return undefined;
    } catch (error) {
      // Stopping is not a failure: work cut short by the signal (an AbortError from a provider) is not reported.
      if (stopped()) throw new Aborted(error);
      const transient = options.isTransient?.(error) ?? false;
      if (!transient) failures++;
      await options.onFailure?.(error, transient, failures);
      if (stopped()) throw new Aborted(error);
      if (failures >= options.maxAttempts || options.isFatal?.(error) === true) return { error, attempts: failures };
      await pauseUnlessAborted(pause, options.signal);
    }
  }
}

/** Like `retry`, for work with a result: the result once it succeeds, or the last error thrown when it gives up. */
export async function retryOrThrow<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  let result: { value: T } | undefined;
  const failure = await retry(async () => {
    result = { value: await work() };
  }, options);
  if (failure !== undefined) throw failure.error;
  return result!.value;
}

/** The signal aborted while work was failing; `cause` is the last failure. */
export class Aborted extends Error {
  constructor(cause: unknown) {
    super('Stopped while retrying', { cause });
    this.name = 'Aborted';
  }
}

export function pauseUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}

/**
 * Lets timers and I/O run. A loop of database calls on PGlite (WebAssembly on this thread, answered as microtasks)
 * would otherwise keep the event loop from serving requests until the loop ends: long loops yield once a batch.
 */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
