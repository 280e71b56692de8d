// Auto-heal of in-process workers: a projection's worker made to crash, then made to stall, is restarted by the
// supervisor, applies the log again, and each attempt is an AutoHealAttempted event that history and stats read,
// also after a restart of the process. The faults are injected through the test's composition (wrapWorker), which
// no environment variable or route reaches.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { pino } from 'pino';
import { startRoles, type RunningChorus } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import type { Worker } from '../../projections/workers.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';

const TARGET = 'projection.feedback';

/** Makes the wrapped worker's current run crash, or stall (stop applying while it looks alive), on demand. */
class Fault {
  private crashCurrent: (() => void) | null = null;
  private stallCurrent: (() => void) | null = null;

  wrap = (name: string, worker: Worker): Worker =>
    name !== TARGET
      ? worker
      : {
          ...worker,
          run: async (signal) => {
            const inner = new AbortController();
            signal.addEventListener('abort', () => inner.abort(), { once: true });
            const running = worker.run(inner.signal);
            const fault = new Promise<'crash' | 'stall'>((resolve) => {
              this.crashCurrent = () => resolve('crash');
              this.stallCurrent = () => resolve('stall');
            });
            const outcome = await Promise.race([running.then(() => 'ended' as const), fault]);
            if (outcome === 'ended') return;
            inner.abort();
            await running.catch(() => undefined);
            if (outcome === 'crash') throw new Error('injected crash');
            // Stalled: alive, applying nothing, until the run is aborted.
            await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
          },
        };

  crash(): void {
    this.crashCurrent!();
  }

  stall(): void {
    this.stallCurrent!();
  }
}

type Attempt = { target: string; role: string; reason: string; action: string; ok: boolean; message: string; at: string };

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}`);
}

test('a crashed and a stalled worker are restarted, come back, and every attempt is recorded', async (t) => {
  t.timeout(180_000);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'chorus-autoheal-'));
  const config = loadConfig({ ...TEST_CONFIG, CHORUS_DATA_DIR: dataDir, CHORUS_AUTOHEAL_INTERVAL_MS: '200', CHORUS_AUTOHEAL_STALL_MS: '1500' });
  const logger = pino({ level: 'silent' });
  const fault = new Fault();
  let chorus: RunningChorus = await startRoles(config, logger, { wrapWorker: fault.wrap });
  try {
    const operator = await bearerFor(chorus, ['operator']);
    const get = async <T>(route: string): Promise<{ status: number; body: T }> => {
      const response = await fetch(`${chorus.url}${route}`, { headers: operator });
      return { status: response.status, body: (await response.json()) as T };
    };
    const history = async (): Promise<Attempt[]> => (await get<{ items: Attempt[] }>('/v1/ops/autoheal/history?limit=50')).body.items;
    const submit = async (text: string): Promise<void> => {
      const response = await fetch(`${chorus.url}/v1/feedback`, { method: 'POST', headers: { ...operator, 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
      t.is(response.status, 201);
    };
    const lag = (): Promise<number> => chorus.system.workers.worker(TARGET)!.lag!();
    const status = await get<{ targets: string[]; intervalMs: number; stallMs: number; workers: { name: string; healed: boolean; role: string }[] }>('/v1/ops/autoheal/status');
    t.is(status.status, 200);
    t.like(status.body, { intervalMs: 200, stallMs: 1500 });
    t.deepEqual(status.body.targets, ['api', 'relay', 'projector', 'enricher']);
    t.like(status.body.workers.find((worker) => worker.name === TARGET), { healed: true, role: 'projector' });
    t.deepEqual(await history(), []);

    // Crash: Workers restarts it after its pause; the supervisor records the attempt once it is back.
    await submit('before the crash');
    await until(lag, (events) => events === 0, 'caught up');
    fault.crash();
    const [crashed] = await until(history, (items) => items.length === 1, 'the crash recorded');
    t.like(crashed, { target: TARGET, role: 'projector', reason: 'crashed', action: 'restart', ok: true });
    t.regex(crashed!.message, /injected crash/);
    await submit('after the crash');
    await until(lag, (events) => events === 0, 'applies again after the crash');

    // Stall: alive but applying nothing while events arrive, for CHORUS_AUTOHEAL_STALL_MS.
    fault.stall();
    await submit('while stalled');
    t.true((await lag()) > 0);
    const [stalled] = await until(history, (items) => items.length === 2, 'the stall recorded');
    t.like(stalled, { target: TARGET, reason: 'stalled', action: 'restart', ok: true });
    t.regex(stalled!.message, /no progress for \d+ s/);
    await until(lag, (events) => events === 0, 'applies again after the stall');
    t.true(chorus.system.workers.restarts(TARGET) >= 2);

    const newest = await get<{ items: Attempt[] }>('/v1/ops/autoheal/history?limit=1');
    t.is(newest.body.items.length, 1);
    t.is(newest.body.items[0]!.reason, 'stalled', 'newest first');
    t.is((await get('/v1/ops/autoheal/history?limit=51')).status, 400);
    t.is((await get('/v1/ops/autoheal/history?limit=0')).status, 400);
    const expected = {
      total_attempts: 2,
      successful: 2,
      failed: 0,
      success_rate: 1,
      per_target: { [TARGET]: { attempts: 2, successful: 2, failed: 0 } },
      most_healed: { target: TARGET, attempts: 2 },
    };
    t.like((await get('/v1/ops/autoheal/stats')).body, expected);

    // History and stats are events: they survive a restart of the process.
    await chorus.stop();
    chorus = await startRoles(config, logger);
    const again = await get<{ items: Attempt[] }>('/v1/ops/autoheal/history');
    t.deepEqual(
      again.body.items.map((item) => item.reason),
      ['stalled', 'crashed'],
    );
    t.like((await get('/v1/ops/autoheal/stats')).body, expected);
  } finally {
    await chorus.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a worker that keeps failing its health is restarted; attempts that do not bring it back are recorded as failed', async (t) => {
  t.timeout(180_000);
  const config = loadConfig({
    ...TEST_CONFIG,
    CHORUS_AUTOHEAL_INTERVAL_MS: '200',
    CHORUS_AUTOHEAL_STALL_MS: '600000',
    CHORUS_STUCK_AFTER_MS: '1000',
    // Many attempts, so that the failing event is not dead-lettered (which would be progress).
    CHORUS_PROJECTION_MAX_ATTEMPTS: '100',
  });
  const chorus = await startRoles(config, pino({ level: 'silent' }));
  try {
    const operator = await bearerFor(chorus, ['operator']);
    const get = async <T>(route: string): Promise<T> => (await (await fetch(`${chorus.url}${route}`, { headers: operator })).json()) as T;
    const history = async (): Promise<Attempt[]> => (await get<{ items: Attempt[] }>('/v1/ops/autoheal/history?limit=50')).items;
    const db = chorus.system.database.db;
    // The read model loses a table: every batch of the feedback projection fails, restarted or not.
    await sql`alter table feedback_counts rename to feedback_counts_away`.execute(db);
    const created = await fetch(`${chorus.url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"while broken"}' });
    t.is(created.status, 201);
    const failed = await until(history, (items) => items.some((item) => item.target === TARGET && !item.ok), 'a failed attempt');
    const attempt = failed.find((item) => item.target === TARGET && !item.ok)!;
    t.like(attempt, { reason: 'failing-health', action: 'restart', ok: false });
    t.regex(attempt.message, /failing its health: \d+ failure\(s\).*42P01.*not back/);
    const status = await get<{ workers: { name: string; nextRestartNotBefore: string | null }[] }>('/v1/ops/autoheal/status');
    t.truthy(status.workers.find((worker) => worker.name === TARGET), 'the worker is listed');

    await sql`alter table feedback_counts_away rename to feedback_counts`.execute(db);
    await until(() => chorus.system.workers.worker(TARGET)!.lag!(), (events) => events === 0, 'the projection back');
    type Stats = { total_attempts: number; successful: number; failed: number; success_rate: number; per_target: Record<string, { attempts: number; failed: number }> };
    // The supervisor may still record an attempt it had in hand when the table came back: compare the stats with a
    // history read between two equal readings of them.
    let stats = await get<Stats>('/v1/ops/autoheal/stats');
    let all = (await history()).filter((item) => item.target === TARGET);
    for (let reading = 0; reading < 50; reading++) {
      const again = await get<Stats>('/v1/ops/autoheal/stats');
      if (again.total_attempts === stats.total_attempts && all.length === again.total_attempts) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
      stats = again;
      all = (await history()).filter((item) => item.target === TARGET);
    }
    t.is(stats.total_attempts, all.length);
    t.is(stats.failed, all.filter((item) => !item.ok).length);
    t.true(stats.failed >= 1);
    t.is(stats.successful + stats.failed, stats.total_attempts);
    t.is(stats.success_rate, stats.successful / stats.total_attempts);
    t.like(stats.per_target[TARGET], { attempts: all.length, failed: stats.failed });
  } finally {
    await chorus.stop();
  }
});
