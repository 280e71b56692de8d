// Runs every consumer (projections, enrichers, the relay) and restarts one that died (a lost database or
// broker, say) after a pause that doubles with each crash in a row. A consumer that runs but makes no progress
// (failing again and again) is stuck; the auto-heal supervisor (./autoheal-supervisor.ts) may restart it.
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { ConsumerHealth, ConsumerHealthSnapshot } from './consumer-health.js';

export type Worker = Readonly<{
  run(signal: AbortSignal): Promise<void>;
  health?: ConsumerHealth;
  /** The process role it belongs to (relay, projector, enricher), for CHORUS_AUTOHEAL_TARGETS. */
  role?: string;
  /** Events it has still to handle; omitted for workers without a lag (schedules). */
  lag?(): Promise<number>;
}>;

export type WorkerState = 'starting' | 'running' | 'stuck' | 'restarting' | 'stopped';

/** A worker's run ended with an error and will be run again after `pauseMs`. */
export type WorkerCrash = Readonly<{ worker: string; error: unknown; crashesInARow: number; pauseMs: number }>;

const RESTART_PAUSE_MS = 1000;
const MAX_RESTART_PAUSE_MS = 30_000;
/** A run that lasted this long was not crashing in a loop: the next crash pauses the shortest time again. */
const STABLE_RUN_MS = 30_000;
/** How long a restart waits for the run it aborts to end before it starts the next one anyway. */
const ABANDON_AFTER_MS = 5000;
const LISTENERS_PER_RUNNER = 4;

type Slot = {
  readonly runner: Worker;
  controller: AbortController;
  current: Promise<void>;
  generation: number;
  crashesInARow: number;
  /** Crashes and restarts since the process started. */
  restarts: number;
};

export class Workers {
  private readonly states = new Map<string, WorkerState>();
  private readonly slots = new Map<string, Slot>();
  private readonly controller = new AbortController();
  private readonly crashListeners: ((crash: WorkerCrash) => void)[] = [];
  private started = false;

  constructor(
    private readonly runners: ReadonlyMap<string, Worker>,
    private readonly logger: Logger,
    /** A worker failing without progress for this long is reported stuck. */
    private readonly stuckAfterMs: number,
  ) {
    // Every runner listens to the one signal while it waits (a subscription's pause, a retry's backoff): a few
    // listeners per runner are expected, not a leak, and Node's default of 10 is soon passed.
    setMaxListeners(Math.max(10, LISTENERS_PER_RUNNER * runners.size), this.controller.signal);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const [name, runner] of this.runners) {
      const slot: Slot = { runner, controller: new AbortController(), current: Promise.resolve(), generation: 0, crashesInARow: 0, restarts: 0 };
      this.slots.set(name, slot);
      this.launch(name, slot);
    }
  }

  /** Lets each runner finish the batch in hand, then resolves. */
  async stop(): Promise<void> {
    // Each run's own controller follows this one (see launch).
    this.controller.abort();
    // A restart may launch the next run while this waits: wait until every slot's latest run has ended.
    for (;;) {
      const runs = [...this.slots.values()].map((slot) => slot.current);
      await Promise.all(runs);
      if ([...this.slots.values()].every((slot, index) => slot.current === runs[index])) break;
    }
    for (const name of this.slots.keys()) this.states.set(name, 'stopped');
  }

  names(): readonly string[] {
    return [...this.runners.keys()];
  }

  worker(name: string): Worker | undefined {
    return this.runners.get(name);
  }

  /** Called after every crash, before the pause that precedes the next run. */
  onCrash(listener: (crash: WorkerCrash) => void): void {
    this.crashListeners.push(listener);
  }

  /** How many times each worker was restarted (after a crash, or by `restart`). */
  restarts(name: string): number {
    return this.slots.get(name)?.restarts ?? 0;
  }

  /**
   * Aborts the worker's run and starts another: for a worker that runs but is stalled or keeps failing.
   * Waits a few seconds for the aborted run to end, then starts the next one whatever it does.
   */
  async restart(name: string): Promise<void> {
    const slot = this.slots.get(name);
    if (slot === undefined || this.controller.signal.aborted) throw new Error(`no running worker named ${name}`);
    const generation = ++slot.generation;
    this.states.set(name, 'restarting');
    slot.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([slot.current.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ABANDON_AFTER_MS)))]);
    clearTimeout(timer);
    if (!ended) this.logger.warn({ worker: name }, 'the aborted run has not ended; starting the next one anyway');
    // Another restart, or stop(), came in while this one waited.
    if (generation !== slot.generation || this.controller.signal.aborted) return;
    slot.restarts++;
    this.launch(name, slot);
  }

  state(): Readonly<Record<string, WorkerState>> {
    return Object.fromEntries(
      [...this.states].map(([name, state]) => [name, state === 'running' && this.runners.get(name)?.health?.isStuck(this.stuckAfterMs) ? 'stuck' : state]),
    );
  }

  /** How each consumer fares: failures since its last progress, and its last error (safe to show). */
  health(): Readonly<Record<string, ConsumerHealthSnapshot>> {
    return Object.fromEntries([...this.runners].flatMap(([name, runner]) => (runner.health === undefined ? [] : [[name, runner.health.snapshot(this.stuckAfterMs)]])));
  }

  private launch(name: string, slot: Slot): void {
    const generation = slot.generation;
    const controller = new AbortController();
    setMaxListeners(LISTENERS_PER_RUNNER * 4, controller.signal);
    const onStop = (): void => controller.abort();
    this.controller.signal.addEventListener('abort', onStop, { once: true });
    slot.controller = controller;
    this.states.set(name, 'running');
    const startedAt = Date.now();
    slot.current = slot.runner
      .run(controller.signal)
      .then(
        () => null,
        (error: unknown) => ({ error }),
      )
      .then(async (outcome) => {
        this.controller.signal.removeEventListener('abort', onStop);
        if (generation !== slot.generation) return; // restart() took over
        if (this.controller.signal.aborted) {
          this.states.set(name, 'stopped');
          return;
        }
        if (outcome === null) {
          // A run that returns without being asked to has nothing to do now; run it again, as before.
          this.launch(name, slot);
          return;
        }
        slot.crashesInARow = Date.now() - startedAt >= STABLE_RUN_MS ? 1 : slot.crashesInARow + 1;
        const pauseMs = Math.min(MAX_RESTART_PAUSE_MS, RESTART_PAUSE_MS * 2 ** (slot.crashesInARow - 1));
        this.states.set(name, 'restarting');
        this.logger.error({ worker: name, err: outcome.error, pauseMs }, 'worker failed; restarting');
        for (const listener of this.crashListeners) {
          try {
            listener({ worker: name, error: outcome.error, crashesInARow: slot.crashesInARow, pauseMs });
          } catch (error) {
            this.logger.error({ err: error }, 'worker crash listener failed');
          }
        }
        // The pause ends early on stop(); its listener goes with it, so crashes do not pile listeners on the signal.
        await new Promise<void>((resolve) => {
          const stopped = (): void => (clearTimeout(timer), resolve());
          const timer = setTimeout(() => (this.controller.signal.removeEventListener('abort', stopped), resolve()), pauseMs);
          this.controller.signal.addEventListener('abort', stopped, { once: true });
        });
        if (generation !== slot.generation) return;
        if (this.controller.signal.aborted) {
          this.states.set(name, 'stopped');
          return;
        }
        slot.restarts++;
        this.launch(name, slot);
      });
  }
}
