// Runs every consumer (projections, enrichers, the relay) and restarts one that died (a lost database or
// broker, say) after a pause. A consumer that runs but makes no progress (failing again and again) is stuck.
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { ConsumerHealth, ConsumerHealthSnapshot } from './consumer-health.js';

export type Worker = Readonly<{ run(signal: AbortSignal): Promise<void>; health?: ConsumerHealth }>;

export type WorkerState = 'starting' | 'running' | 'stuck' | 'restarting' | 'stopped';

const RESTART_PAUSE_MS = 1000;
const LISTENERS_PER_RUNNER = 4;

export class Workers {
  private readonly states = new Map<string, WorkerState>();
  private readonly controller = new AbortController();
  private running: Promise<void> | null = null;

  constructor(
    private readonly runners: ReadonlyMap<string, Worker>,
    private readonly logger: Logger,
    /** A worker failing without progress for this long is reported stuck. */
    private readonly stuckAfterMs: number,
  ) {
    // Every runner listens to the one stop signal, a few times over while it waits (a poll's pause, a retry's):
    // more than Node's default of 10 listeners is expected once a few contexts run their consumers here.
    setMaxListeners(LISTENERS_PER_RUNNER * Math.max(1, runners.size), this.controller.signal);
  }

  start(): void {
    this.running ??= Promise.all([...this.runners].map(([name, runner]) => this.supervise(name, runner))).then(() => undefined);
  }

  /** Lets each runner finish the batch in hand, then resolves. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
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

  private async supervise(name: string, runner: Worker): Promise<void> {
    const { signal } = this.controller;
    while (!signal.aborted) {
      this.states.set(name, 'running');
      try {
        await runner.run(signal);
      } catch (error) {
        if (signal.aborted) break;
        this.states.set(name, 'restarting');
        this.logger.error({ worker: name, err: error }, 'worker failed; restarting');
        await new Promise((resolve) => setTimeout(resolve, RESTART_PAUSE_MS));
      }
    }
    this.states.set(name, 'stopped');
  }
}
