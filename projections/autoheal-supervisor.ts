// The in-process auto-heal supervisor. Every CHORUS_AUTOHEAL_INTERVAL_MS it looks at the workers of the roles in
// CHORUS_AUTOHEAL_TARGETS: one stalled (lag above zero, not shrinking, and no progress for CHORUS_AUTOHEAL_STALL_MS)
// or failing its health (stuck: failing without progress for CHORUS_STUCK_AFTER_MS) is restarted, with a backoff
// that doubles while attempts on it fail. Crashes are restarted by Workers itself (with its own backoff); the
// supervisor records those too. Each attempt becomes an AutoHealAttempted event once its outcome is known: the
// worker made progress again (or has nothing left to do), or it did not before a deadline.
import type { Logger } from 'pino';
import { describeError } from '../application/kernel/describe-error.js';
import { recordAutohealAttempt, type AutohealRecorder } from '../application/ops/autoheal-history.js';
import type { AutohealReason } from '../domain/ops/autoheal-events.js';
import type { WorkerCrash, Workers } from './workers.js';

export type AutohealOptions = Readonly<{
  intervalMs: number;
  stallMs: number;
  stuckAfterMs: number;
  /** Roles whose workers are healed. */
  targets: readonly string[];
  /** Who heals: `<host> pid <pid>`, recorded in each attempt. */
  by: string;
  now?: () => number;
}>;

export type AutohealWorkerStatus = Readonly<{
  name: string;
  role: string;
  healed: boolean;
  state: string;
  lag: number | null;
  stalledSince: string | null;
  restarts: number;
  /** A restart of a worker whose last attempts failed waits until then. */
  nextRestartNotBefore: string | null;
  pendingAttempt: Readonly<{ reason: AutohealReason; since: string }> | null;
}>;

export type AutohealStatus = Readonly<{
  running: boolean;
  intervalMs: number;
  stallMs: number;
  stuckAfterMs: number;
  targets: readonly string[];
  lastCheckAt: string | null;
  checks: number;
  lastCheckError: string | null;
  workers: readonly AutohealWorkerStatus[];
}>;

type Tracked = { lag: number | null; progressAt: string | null; stalledSinceMs: number | null; failedInARow: number; notBeforeMs: number };
type Pending = { reason: AutohealReason; message: string; sinceMs: number; deadlineMs: number; progressBefore: string | null };

const MAX_BACKOFF_MS = 10 * 60_000;

export class AutohealSupervisor {
  private readonly tracked = new Map<string, Tracked>();
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private lastCheckMs: number | null = null;
  private lastCheckError: string | null = null;
  private checks = 0;
  private readonly now: () => number;

  constructor(
    private readonly workers: Workers,
    private readonly recorder: AutohealRecorder,
    private readonly logger: Logger,
    private readonly options: AutohealOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer !== null) return;
    this.workers.onCrash((crash) => this.crashed(crash));
    this.timer = setInterval(() => void this.check(), this.options.intervalMs);
  }

  /** Stops looking; attempts whose outcome is not known yet are recorded as such. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
    for (const [name, pending] of this.pending) await this.record(name, pending, false, `${pending.message}; the process stopped before the outcome was known`);
    this.pending.clear();
  }

  /** One look at every worker; overlapping calls share the look in progress. */
  check(): Promise<void> {
    this.checking ??= this.look()
      .catch((error: unknown) => {
        this.lastCheckError = describeError(error);
        this.logger.error({ err: error }, 'auto-heal check failed');
      })
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  async status(): Promise<AutohealStatus> {
    const states = this.workers.state();
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    return {
      running: this.timer !== null,
      intervalMs: this.options.intervalMs,
      stallMs: this.options.stallMs,
      stuckAfterMs: this.options.stuckAfterMs,
      targets: this.options.targets,
      lastCheckAt: iso(this.lastCheckMs),
      checks: this.checks,
      lastCheckError: this.lastCheckError,
      workers: this.workers.names().map((name) => {
        const role = this.workers.worker(name)?.role ?? 'unknown';
        const tracked = this.tracked.get(name);
        const pending = this.pending.get(name);
        return {
          name,
          role,
          healed: this.options.targets.includes(role),
          state: states[name] ?? 'starting',
          lag: tracked?.lag ?? null,
          stalledSince: iso(tracked?.stalledSinceMs ?? null),
          restarts: this.workers.restarts(name),
          nextRestartNotBefore: tracked === undefined || tracked.notBeforeMs <= this.now() ? null : iso(tracked.notBeforeMs),
          pendingAttempt: pending === undefined ? null : { reason: pending.reason, since: new Date(pending.sinceMs).toISOString() },
        };
      }),
    };
  }

  private healed(name: string): boolean {
    const role = this.workers.worker(name)?.role;
    return role !== undefined && this.options.targets.includes(role);
  }

  private crashed({ worker, error, pauseMs }: WorkerCrash): void {
    if (!this.healed(worker) || this.pending.has(worker)) return;
    const now = this.now();
    this.pending.set(worker, {
      reason: 'crashed',
      message: `crashed (${describeError(error)}); restarted after ${pauseMs} ms`,
      sinceMs: now,
      deadlineMs: now + pauseMs + this.verifyWithinMs('crashed'),
      progressBefore: this.workers.worker(worker)?.health?.snapshot(this.options.stuckAfterMs).lastProgressAt ?? null,
    });
  }

  /** How long a restarted worker has to make progress before the attempt counts as failed. */
  private verifyWithinMs(reason: AutohealReason): number {
    return Math.max(reason === 'stalled' ? this.options.stallMs : this.options.stuckAfterMs, 5 * this.options.intervalMs);
  }

  private async look(): Promise<void> {
    const states = this.workers.state();
    const healed = this.workers.names().filter((name) => this.healed(name));
    // Every lag at once: one slow read (a broker timing out) should not stretch the look by one timeout per worker.
    const lags = await Promise.all(healed.map((name) => this.workers.worker(name)!.lag?.().catch(() => null) ?? null));
    for (const [index, name] of healed.entries()) {
      const worker = this.workers.worker(name)!;
      const now = this.now();
      const tracked = this.tracked.get(name) ?? { lag: null, progressAt: null, stalledSinceMs: null, failedInARow: 0, notBeforeMs: 0 };
      this.tracked.set(name, tracked);
      const health = worker.health?.snapshot(this.options.stuckAfterMs);
      const lag = lags[index] ?? null;
      const progressAt = health?.lastProgressAt ?? null;
      const stalledNow = lag !== null && lag > 0 && tracked.lag !== null && lag >= tracked.lag && progressAt === tracked.progressAt && states[name] === 'running';
      tracked.stalledSinceMs = stalledNow ? (tracked.stalledSinceMs ?? now) : null;
      tracked.lag = lag;
      tracked.progressAt = progressAt;

      const pending = this.pending.get(name);
      if (pending !== undefined) {
        const back = states[name] === 'running' && (worker.health === undefined || progressAt !== pending.progressBefore || lag === 0);
        if (back) await this.settle(name, pending, true, `${pending.message}; back: ${lag === 0 ? 'caught up' : 'making progress'}`);
        else if (now >= pending.deadlineMs) await this.settle(name, pending, false, `${pending.message}; not back: ${states[name] ?? 'unknown'}${health?.lastError ? ` (${health.lastError})` : ''}`);
        continue;
      }
      if (now < tracked.notBeforeMs || states[name] === 'restarting') continue;
      if (tracked.stalledSinceMs !== null && now - tracked.stalledSinceMs >= this.options.stallMs) {
        await this.restart(name, 'stalled', `stalled: no progress for ${Math.round((now - tracked.stalledSinceMs) / 1000)} s with ${lag} event(s) to handle`, progressAt);
      } else if (health?.stuck === true) {
        await this.restart(name, 'failing-health', `failing its health: ${health.failures} failure(s) since ${health.failingSince}${health.lastError ? `, last: ${health.lastError}` : ''}`, progressAt);
      }
    }
    this.lastCheckMs = this.now();
    this.lastCheckError = null;
    this.checks++;
  }

  private async restart(name: string, reason: AutohealReason, message: string, progressBefore: string | null): Promise<void> {
    this.logger.warn({ worker: name, reason }, `auto-heal: restarting ${name}: ${message}`);
    const tracked = this.tracked.get(name)!;
    tracked.stalledSinceMs = null;
    try {
      await this.workers.restart(name);
    } catch (error) {
      await this.settle(name, { reason, message, sinceMs: this.now(), deadlineMs: this.now(), progressBefore }, false, `${message}; restart failed: ${describeError(error)}`);
      return;
    }
    const now = this.now();
    this.pending.set(name, { reason, message, sinceMs: now, deadlineMs: now + this.verifyWithinMs(reason), progressBefore });
  }

  private async settle(name: string, pending: Pending, ok: boolean, message: string): Promise<void> {
    this.pending.delete(name);
    const tracked = this.tracked.get(name);
    if (tracked !== undefined) {
      tracked.failedInARow = ok ? 0 : tracked.failedInARow + 1;
      tracked.notBeforeMs = ok ? 0 : this.now() + Math.min(MAX_BACKOFF_MS, this.options.intervalMs * 2 ** tracked.failedInARow);
    }
    await this.record(name, pending, ok, message);
  }

  private async record(name: string, pending: Pending, ok: boolean, message: string): Promise<void> {
    const role = this.workers.worker(name)?.role ?? 'unknown';
    try {
      await recordAutohealAttempt(this.recorder, { target: name, role, reason: pending.reason, action: 'restart', ok, message: message.slice(0, 2000), by: this.options.by });
    } catch (error) {
      this.logger.error({ err: error, worker: name }, 'could not record an auto-heal attempt');
    }
  }
}
