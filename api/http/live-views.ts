// Live views over Server-Sent Events: many clients watch one thing (a poll's results), and this process reads it
// once for all of them. Each watched key is one subscription however many clients watch it; one loop per hub wakes
// when the view's projection commits a batch (in this process, or announced by another one) or every `recheckMs`,
// reads every watched key in one query, and sends a frame to the watchers of each key whose position moved. The loop
// reads at most once per `minIntervalMs`, so no key sends more than 1000 / minIntervalMs frames a second, and a
// burst of changes is coalesced into the latest state. Because it reads the read model, it works whatever feeds the
// projection: the store directly or Kafka.
import type { Gauge } from 'prom-client';
import type { ProjectionProgress } from '../../projections/projection-progress.js';

/** A view's state and the log position it reflects (the SSE event's id). */
export type LiveFrame = Readonly<{ position: string; data: unknown }>;

export type LiveSource = Readonly<{
  /** The projection that maintains the view: its batches wake the loop. */
  projection: string;
  /** The current frames of the keys asked for; a key missing from the answer has no view (yet). */
  read(keys: readonly string[]): Promise<ReadonlyMap<string, LiveFrame>>;
}>;

export type LiveOptions = Readonly<{ minIntervalMs: number; recheckMs: number }>;

type Listener = (frame: LiveFrame) => void;

type Watch = { readonly listeners: Set<Listener>; last: LiveFrame | null; readonly ready: Promise<void> };

export class LiveViews {
  private readonly watches = new Map<string, Watch>();
  private loop: Promise<void> | null = null;

  /** `stopping`: aborted when the process shuts down, which ends the loop. */
  constructor(
    private readonly source: LiveSource,
    private readonly progress: ProjectionProgress,
    private readonly subscriptions: Gauge,
    private readonly options: LiveOptions,
    private readonly onError: (error: unknown) => void,
    private readonly stopping: AbortSignal,
  ) {}

  /**
   * Starts sending `key`'s changes to `listener`; `current` answers its latest frame (null while it has none).
   * Call `unwatch` to stop.
   */
  async watch(key: string, listener: Listener): Promise<{ current: () => LiveFrame | null; unwatch: () => void }> {
    let watch = this.watches.get(key);
    if (watch === undefined) {
      const created: Watch = {
        listeners: new Set(),
        last: null,
        ready: this.source.read([key]).then((frames) => void (created.last = frames.get(key) ?? null)),
      };
      watch = created;
      this.watches.set(key, watch);
      this.subscriptions.set(this.watches.size);
    }
    // Watchers that come while the first read runs wait for it too.
    try {
      await watch.ready;
    } catch (error) {
      if (this.watches.get(key) === watch && watch.listeners.size === 0) {
        this.watches.delete(key);
        this.subscriptions.set(this.watches.size);
      }
      throw error;
    }
    watch.listeners.add(listener);
    this.loop ??= this.run().finally(() => (this.loop = null));
    const held = watch;
    const current = (): LiveFrame | null => held.last;
    const unwatch = (): void => {
      const held = this.watches.get(key);
      if (held?.listeners.delete(listener) !== true || held.listeners.size > 0) return;
      this.watches.delete(key);
      this.subscriptions.set(this.watches.size);
    };
    return { current, unwatch };
  }

  /** Keys watched now (the gauge's value). */
  get size(): number {
    return this.watches.size;
  }

  /** Resolves once the loop has stopped (after `stopping` aborts, or when nothing is watched). */
  async stopped(): Promise<void> {
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.stopping;
    let seen = this.progress.batches(this.source.projection);
    while (this.watches.size > 0 && !signal.aborted) {
      const outcome = await this.progress.next(this.source.projection, seen, this.options.recheckMs, signal);
      if (outcome === 'aborted') return;
      seen = this.progress.batches(this.source.projection);
      const readAt = performance.now();
      try {
        await this.readAndSend();
      } catch (error) {
        this.onError(error);
      }
      const rest = this.options.minIntervalMs - (performance.now() - readAt);
      if (rest > 0) await sleep(rest, signal);
    }
  }

  private async readAndSend(): Promise<void> {
    const keys = [...this.watches.keys()];
    if (keys.length === 0) return;
    const frames = await this.source.read(keys);
    for (const [key, frame] of frames) {
      const watch = this.watches.get(key);
      if (watch === undefined || watch.last?.position === frame.position) continue;
      watch.last = frame;
      for (const listener of watch.listeners) listener(frame);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
