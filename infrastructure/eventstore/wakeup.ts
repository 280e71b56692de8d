// How a subscription waits for news without losing any: `arm`, read, then `wait`. A wake that comes between
// the read and the wait still ends the wait at once. Aborting the signal wakes it for good.
export class Wakeup {
  private woken = false;
  private resolve: ((woken: boolean) => void) | null = null;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.wake);
  }

  readonly wake = (): void => {
    this.woken = true;
    this.release(true);
  };

  arm(): void {
    this.woken = false;
  }

  /** True when woken, false when `ms` passed in silence. */
  wait(ms: number): Promise<boolean> {
    if (this.woken || this.signal.aborted) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.release(false), ms);
      this.resolve = (woken) => {
        clearTimeout(timer);
        resolve(woken);
      };
    });
  }

  dispose(): void {
    this.signal.removeEventListener('abort', this.wake);
    this.release(true);
  }

  private release(woken: boolean): void {
    const resolve = this.resolve;
    this.resolve = null;
    resolve?.(woken);
  }
}

