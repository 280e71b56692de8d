// `chorus supervise`: the roles as child processes on one machine without an orchestrator. The api child listens
// on PORT, the others (relay only when KAFKA_BROKERS is set) on the next free ports. A child that exits, or fails
// its /health/ready for three checks in a row, is restarted with a backoff that doubles while it keeps failing;
// each restart becomes an AutoHealAttempted event once the child answers ready again (ok) or does not in time.
// SIGTERM (or SIGINT) is passed to every child; the supervisor exits when all have stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import net from 'node:net';
import { recordAutohealAttempt } from '../../application/ops/autoheal-history.js';
import type { AutohealReason } from '../../domain/ops/autoheal-events.js';
import { openSystem, type Role, type System } from '../../infrastructure/composition-root.js';
import type { Config } from '../../infrastructure/config.js';
import type { Logger } from '../../infrastructure/logging.js';
import { apiMigrations, contexts } from '../contexts.js';
import { UsageError } from './cli-support.js';

/** Failed readiness checks in a row (once the child has been ready) before it is restarted. */
const FAILED_CHECKS_BEFORE_RESTART = 3;
const RESTART_PAUSE_MS = 1000;
const MAX_RESTART_PAUSE_MS = 60_000;
/** A restarted child that is not ready within this long counts as a failed attempt. */
const READY_WITHIN_MS = 120_000;
const CHECK_TIMEOUT_MS = 2000;

type Child = {
  readonly role: Role;
  readonly port: number;
  process: ChildProcess | null;
  ready: boolean;
  failedChecks: number;
  restartsInARow: number;
  pending: { reason: AutohealReason; message: string; deadlineMs: number } | null;
  restartTimer: NodeJS.Timeout | null;
};

/** The first port from `from` on that this host can listen on. */
async function freePort(from: number, host: string, taken: ReadonlySet<number>): Promise<number> {
  for (let port = from; port <= 65_535; port++) {
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new UsageError(`No free port above ${from}`);
}

export async function supervise(config: Config, logger: Logger): Promise<void> {
  if (config.databaseUrl === undefined) {
    throw new UsageError('chorus supervise runs the roles as separate processes, which share a PostgreSQL database: set DATABASE_URL (for one process, use chorus start)');
  }
  if (config.port === 0) throw new UsageError('chorus supervise needs a fixed PORT for its api child (the others take the next free ports)');
  const roles: Role[] = ['api', ...(config.kafkaBrokers === undefined ? [] : (['relay'] as const)), 'projector', 'enricher'];
  // Migrates once, before the children start, and appends the attempts.
  const system = await openSystem(config, logger, { roles: [], modules: contexts, migrations: apiMigrations });
  const taken = new Set<number>([config.port]);
  const children: Child[] = [];
  for (const role of roles) {
    const port = role === 'api' ? config.port : await freePort(config.port + 1, config.host, taken);
    taken.add(port);
    children.push({ role, port, process: null, ready: false, failedChecks: 0, restartsInARow: 0, pending: null, restartTimer: null });
  }
  const urlOf = (child: Child): string => `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${child.port}`;
  const peers = children.filter((child) => child.role !== 'api').map((child) => `${urlOf(child)}/health/ready`);
  const by = `${hostname()} pid ${process.pid} (chorus supervise)`;
  let stopping = false;

  const record = async (child: Child, ok: boolean, message: string): Promise<void> => {
    const pending = child.pending!;
    child.pending = null;
    if (!ok) child.restartsInARow++;
    try {
      await recordAutohealAttempt(system, { target: child.role, role: child.role, reason: pending.reason, action: 'restart', ok, message: `${pending.message}; ${message}`, by });
    } catch (error) {
      logger.error({ supervisor: true, err: error, child: child.role }, 'could not record an auto-heal attempt');
    }
  };

  const launch = (child: Child): void => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(child.port) };
    // The api child's /v1/ops/health folds in its siblings, unless the operator named the peers.
    if (child.role === 'api' && config.peers.length === 0) env.CHORUS_PEERS = peers.join(',');
    const spawned = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'run', child.role], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.process = spawned;
    child.ready = false;
    child.failedChecks = 0;
    logger.info({ supervisor: true, child: child.role, pid: spawned.pid, url: urlOf(child) }, `supervise: ${child.role} (pid ${spawned.pid}) on ${urlOf(child)}`);
    spawned.once('exit', (code, signal) => {
      if (child.process !== spawned) return;
      child.process = null;
      child.ready = false;
      if (stopping) return;
      const healed = config.autohealTargets.includes(child.role);
      logger.error({ supervisor: true, child: child.role, code, signal }, `supervise: ${child.role} exited (${signal ?? `code ${code}`})${healed ? '' : '; not in CHORUS_AUTOHEAL_TARGETS, left stopped'}`);
      if (!healed) return void stopIfAllStopped();
      const reason = child.pending?.reason ?? 'exited';
      const message = child.pending?.message ?? `exited (${signal ?? `code ${code}`})`;
      // A restart that had been launched and exited before it was ready failed; one the supervisor asked for (failing health) goes on.
      if (child.pending !== null && child.pending.deadlineMs !== Number.POSITIVE_INFINITY) void record(child, false, `exited again (${signal ?? `code ${code}`})`);
      scheduleRestart(child, reason, message);
    });
  };

  const scheduleRestart = (child: Child, reason: AutohealReason, message: string): void => {
    const pauseMs = Math.min(MAX_RESTART_PAUSE_MS, RESTART_PAUSE_MS * 2 ** child.restartsInARow);
    logger.warn({ supervisor: true, child: child.role, reason, pauseMs }, `supervise: restarting ${child.role} in ${pauseMs} ms`);
    child.restartTimer = setTimeout(() => {
      child.restartTimer = null;
      if (stopping) return;
      child.pending = { reason, message: `${message}; restarted after ${pauseMs} ms`, deadlineMs: Date.now() + pauseMs + READY_WITHIN_MS };
      launch(child);
    }, pauseMs);
  };

  const check = async (child: Child): Promise<void> => {
    if (child.process === null || stopping) return;
    const ready = await fetch(`${urlOf(child)}/health/ready`, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) {
      child.ready = true;
      child.failedChecks = 0;
      if (child.pending !== null) {
        child.restartsInARow = 0;
        await record(child, true, 'ready again');
      }
      return;
    }
    if (child.pending !== null) {
      if (Date.now() >= child.pending.deadlineMs) await record(child, false, `not ready within ${READY_WITHIN_MS / 1000} s`);
      return;
    }
    // Starting up (migrations, catch-up) is not failing: only a child that was ready counts its failed checks.
    if (!child.ready || ++child.failedChecks < FAILED_CHECKS_BEFORE_RESTART || !config.autohealTargets.includes(child.role)) return;
    logger.error({ supervisor: true, child: child.role }, `supervise: ${child.role} failed its readiness ${child.failedChecks} times in a row; restarting it`);
    // Its exit (below) schedules the restart, with this reason.
    child.pending = { reason: 'failing-health', message: `failed /health/ready ${child.failedChecks} times in a row`, deadlineMs: Number.POSITIVE_INFINITY };
    const failing = child.process;
    failing.kill('SIGTERM');
    setTimeout(() => failing.exitCode === null && failing.signalCode === null && failing.kill('SIGKILL'), config.shutdownTimeoutMs).unref();
  };

  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const stopIfAllStopped = (): void => {
    if (children.every((child) => child.process === null && child.restartTimer === null)) resolveDone();
  };
  const timer = setInterval(() => void Promise.all(children.map(check)).then(() => (stopping ? undefined : stopIfAllStopped())), config.autohealIntervalMs);

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal: no more waiting.
      for (const child of children) child.process?.kill('SIGKILL');
      return;
    }
    stopping = true;
    logger.info({ supervisor: true, signal }, `supervise: ${signal}: stopping every child`);
    for (const child of children) {
      if (child.restartTimer !== null) clearTimeout(child.restartTimer);
      child.restartTimer = null;
      const running = child.process;
      if (running === null) continue;
      running.once('exit', () => stopIfAllStopped());
      running.kill('SIGTERM');
    }
    stopIfAllStopped();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  for (const child of children) launch(child);
  await done;
  clearInterval(timer);
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await closeQuietly(system, logger);
  logger.info({ supervisor: true }, 'supervise: every child stopped');
}

async function closeQuietly(system: System, logger: Logger): Promise<void> {
  try {
    await system.close();
  } catch (error) {
    logger.error({ err: error }, 'could not close the database');
  }
}
