// Runs every consumer (projections, enrichers, the relay) and restarts one that died (a lost database or
// broker, say) after a pause.
import type { Logger } from 'pino';

export type Worker = Readonly<{ run(signal: AbortSignal): Promise<void> }>;

export type WorkerState = 'starting' | 'running' | 'restarting' | 'stopped';

const RESTART_PAUSE_MS = 1000;

export class Workers {
  private readonly states = new Map<string, WorkerState>();
  private readonly controller = new AbortController();
  private running: Promise<void> | null = null;

  constructor(
    private readonly runners: ReadonlyMap<string, Worker>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.running ??= Promise.all([...this.runners].map(([name, runner]) => this.supervise(name, runner))).then(() => undefined);
  }

  /** Lets each runner finish the batch in hand, then resolves. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
  }

  state(): Readonly<Record<string, WorkerState>> {
    return Object.fromEntries(this.states);
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
