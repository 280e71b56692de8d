// DiagramRenderer on Graphviz compiled to WebAssembly, in worker threads: checks and renderings each have a lane
// (one thread, one job at a time, a bounded queue), so a slow export never holds up the checks of saves. A job
// that outlives its time budget ends its thread (WebAssembly cannot be interrupted otherwise); the next job gets a
// fresh one. An idle thread is ended too, which gives its memory (tens of MB) back.
import type { Worker } from 'node:worker_threads';
import type { DiagramRenderer, RenderOutcome, SourceProblem } from '../../application/diagrams/diagram-renderer.js';
import { startModuleWorker } from '../../application/kernel/module-worker.js';
import { GRAPHVIZ_READY, type GraphvizJob, type GraphvizReply } from './graphviz-protocol.js';

export type GraphvizRendererOptions = Readonly<{
  checkTimeoutMs: number;
  renderTimeoutMs: number;
  /** Jobs waiting per lane beyond the running one; more are answered `busy`. */
  maxQueued: number;
  idleMs: number;
  /** Called after every job: what it was, how it ended, how long it took (metrics, tests). */
  onJob?: (kind: GraphvizJob['kind'], status: RenderOutcome<unknown>['status'], ms: number) => void;
}>;

const GRAPHVIZ_DEFAULTS: GraphvizRendererOptions = { checkTimeoutMs: 5000, renderTimeoutMs: 15_000, maxQueued: 16, idleMs: 60_000 };

type Outcome = GraphvizReply['outcome'];

/** A thread that has not loaded Graphviz by then will not (a broken install): its job is answered busy. */
const STARTUP_TIMEOUT_MS = 30_000;
type Pending = Readonly<{ kind: GraphvizJob['kind']; source: string; resolve: (outcome: Outcome) => void }>;

class GraphvizLane {
  private worker: Worker | null = null;
  private readonly queue: Pending[] = [];
  private running: (Pending & { readonly id: number; timer: NodeJS.Timeout | null; readonly startedAt: number }) | null = null;
  private workerReady = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly options: GraphvizRendererOptions,
  ) {}

  run(kind: GraphvizJob['kind'], source: string): Promise<Outcome> {
    if (this.closed) return Promise.resolve({ status: 'busy', message: 'The diagram renderer is shutting down' });
    if (this.queue.length >= this.options.maxQueued) {
      return Promise.resolve({ status: 'busy', message: 'Too many diagrams are being rendered; try again shortly' });
    }
    return new Promise((resolve) => {
      this.queue.push({ kind, source, resolve });
      this.startNext();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.resolve({ status: 'busy', message: 'The diagram renderer is shutting down' });
    this.finish({ status: 'busy', message: 'The diagram renderer is shutting down' });
    await this.endWorker();
  }

  private startNext(): void {
    if (this.running !== null || this.closed) return;
    const pending = this.queue.shift();
    if (pending === undefined) return this.scheduleIdleEnd();
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.running = { ...pending, id: this.nextId++, timer: null, startedAt: performance.now() };
    if (this.worker === null) this.worker = this.startWorker();
    this.worker.postMessage({ id: this.running.id, kind: pending.kind, source: pending.source } satisfies GraphvizJob);
    if (this.workerReady) this.startBudget();
  }

  /** The running job's time budget, counted once its thread has Graphviz loaded. */
  private startBudget(): void {
    const running = this.running;
    if (running === null || running.timer !== null) return;
    running.timer = setTimeout(() => {
      const seconds = Math.round(this.timeoutMs / 100) / 10;
      this.finish({ status: 'too_complex', message: `Graphviz did not finish within ${seconds} s; simplify the diagram` });
      void this.endWorker();
      this.startNext();
    }, this.timeoutMs);
  }

  private finish(outcome: Outcome): void {
    const running = this.running;
    if (running === null) return;
    this.running = null;
    if (running.timer !== null) clearTimeout(running.timer);
    this.options.onJob?.(running.kind, outcome.status, performance.now() - running.startedAt);
    running.resolve(outcome);
  }

  private startWorker(): Worker {
    const worker = startModuleWorker(import.meta.url, './graphviz-worker');
    worker.unref();
    this.workerReady = false;
    const startup = setTimeout(() => {
      if (this.worker !== worker || this.workerReady) return;
      this.finish({ status: 'busy', message: `The diagram renderer did not start within ${STARTUP_TIMEOUT_MS / 1000} s; try again shortly` });
      void this.endWorker();
      this.startNext();
    }, STARTUP_TIMEOUT_MS);
    startup.unref();
    worker.on('message', (reply: GraphvizReply | typeof GRAPHVIZ_READY) => {
      if (this.worker !== worker) return;
      if (reply === GRAPHVIZ_READY) {
        clearTimeout(startup);
        this.workerReady = true;
        return this.startBudget();
      }
      if (this.running?.id !== reply.id) return;
      this.finish(reply.outcome);
      this.startNext();
    });
    // WebAssembly out of memory, or the module failing to load: the source at hand is the one that failed.
    worker.on('error', (error) => {
      if (this.worker !== worker) return;
      clearTimeout(startup);
      this.worker = null;
      this.finish({ status: 'too_complex', message: `Graphviz stopped on this source: ${error.message}` });
      this.startNext();
    });
    worker.on('exit', () => {
      clearTimeout(startup);
      if (this.worker === worker) this.worker = null;
    });
    return worker;
  }

  private scheduleIdleEnd(): void {
    if (this.worker === null || this.idleTimer !== null) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.running === null && this.queue.length === 0) void this.endWorker();
    }, this.options.idleMs);
    this.idleTimer.unref();
  }

  private async endWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (worker !== null) await worker.terminate();
  }
}

export function graphvizRenderer(overrides: Partial<GraphvizRendererOptions> = {}): DiagramRenderer {
  const options = { ...GRAPHVIZ_DEFAULTS, ...overrides };
  const checks = new GraphvizLane(options.checkTimeoutMs, options);
  const renders = new GraphvizLane(options.renderTimeoutMs, options);
  return {
    checkDot: (source) => checks.run('check', source) as Promise<RenderOutcome<readonly SourceProblem[]>>,
    renderDotSvg: (source) => renders.run('svg', source) as Promise<RenderOutcome<string>>,
    close: async () => {
      await Promise.all([checks.close(), renders.close()]);
    },
  };
}
