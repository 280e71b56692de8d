// `chorus supervise` end to end: it starts api, projector and enricher as child processes (against PostgreSQL),
// restarts a child killed with SIGKILL, records the attempt (read back through the api child's routes), and on
// SIGTERM stops every child and exits 0.
import test from 'ava';
import { sql } from 'kysely';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { serverTestDatabase } from '../support/databases.js';
import { TEST_CONFIG, TEST_JWT_SECRET } from '../support/http-specification.js';
import { serviceUrl } from '../support/services.js';
import { bearerSignedWith } from '../support/tokens.js';

type Line = { supervisor?: boolean; child?: string; pid?: number; url?: string; msg?: string };

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, tries = 600): Promise<T> {
  for (let attempt = 0; attempt < tries; attempt++) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`never happened: ${what}`);
}

test('supervise without DATABASE_URL, or without a fixed PORT, stops with one line naming what is missing', async (t) => {
  for (const [env, expected] of [
    [{ PORT: '3999' }, /set DATABASE_URL/],
    [{ PORT: '0', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }, /needs a fixed PORT/],
  ] as const) {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...TEST_CONFIG, ...env };
    if (!('DATABASE_URL' in env)) delete childEnv.DATABASE_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', 'api/cli/chorus.ts', 'supervise'], { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number | null];
    t.is(code, 2);
    t.regex(stderr, expected);
  }
});

const databaseUrl = serviceUrl('DATABASE_URL', 'chorus supervise');
if (databaseUrl !== undefined) {
  test('supervise starts every role, restarts a killed child and records it, and SIGTERM stops them all', async (t) => {
    t.timeout(300_000);
    const database = await serverTestDatabase(databaseUrl);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, ...TEST_CONFIG, PORT: String(port), DATABASE_URL: database.url!, CHORUS_AUTOHEAL_INTERVAL_MS: '500', CHORUS_STUCK_AFTER_MS: '1000', CHORUS_PROJECTION_MAX_ATTEMPTS: '100', LOG_LEVEL: 'info' };
    for (const name of ['KAFKA_BROKERS', 'REDIS_URL', 'DATABASE_REPLICA_URLS', 'CHORUS_PEERS', 'CHORUS_AUTOHEAL_TARGETS']) delete env[name];
    const supervisor = spawn(process.execPath, ['--import', 'tsx', 'api/cli/chorus.ts', 'supervise'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(supervisor, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const started: Line[] = [];
    createInterface({ input: supervisor.stdout! }).on('line', (text) => {
      try {
        const line = JSON.parse(text) as Line;
        if (line.supervisor === true && line.pid !== undefined) started.push(line);
      } catch {
        // Not a log line.
      }
    });
    const latest = (role: string): Line | undefined => started.filter((line) => line.child === role).at(-1);
    try {
      await until(async () => started, (lines) => ['api', 'projector', 'enricher'].every((role) => lines.some((line) => line.child === role)), 'every child started', 240);
      t.is(latest('api')!.url, `http://127.0.0.1:${port}`);
      t.falsy(latest('relay'), 'no relay without KAFKA_BROKERS');
      const ports = ['projector', 'enricher'].map((role) => Number(new URL(latest(role)!.url!).port));
      t.true(ports.every((childPort) => childPort > port), 'the others on the next free ports');
      const api = latest('api')!.url!;
      const operator = await bearerSignedWith(TEST_JWT_SECRET, ['operator']);
      const ready = (url: string) => fetch(`${url}/health/ready`).then((response) => response.status);
      for (const role of ['api', 'projector', 'enricher']) await until(() => ready(latest(role)!.url!), (status) => status === 200, `${role} ready`, 480);

      const killed = latest('projector')!.pid!;
      process.kill(killed, 'SIGKILL');
      const restarted = await until(async () => latest('projector')!, (line) => line.pid !== killed, 'projector restarted');
      t.not(restarted.pid, killed);
      type Attempt = { target: string; reason: string; action: string; ok: boolean; message: string };
      const history = await until(
        async () => ((await (await fetch(`${api}/v1/ops/autoheal/history`, { headers: operator })).json()) as { items: Attempt[] }).items,
        (items) => items.some((item) => item.target === 'projector'),
        'the restart recorded',
        480,
      );
      t.like(history.find((item) => item.target === 'projector'), { reason: 'exited', action: 'restart', ok: true });
      t.regex(history.find((item) => item.target === 'projector')!.message, /SIGKILL.*ready again/);
      const stats = (await (await fetch(`${api}/v1/ops/autoheal/stats`, { headers: operator })).json()) as { total_attempts: number; most_healed: { target: string } };
      t.like(stats, { total_attempts: 1, most_healed: { target: 'projector' } });

      // A child that fails its readiness (a projection stuck on a lost table) is restarted, and recorded once ready.
      await sql`alter table feedback_counts rename to feedback_counts_away`.execute(database.database.db);
      const submitted = await fetch(`${api}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"while broken"}' });
      t.is(submitted.status, 201);
      const before = latest('projector')!.pid;
      await until(async () => latest('projector')!, (line) => line.pid !== before, 'the failing projector restarted', 480);
      await sql`alter table feedback_counts_away rename to feedback_counts`.execute(database.database.db);
      const healed = await until(
        async () => ((await (await fetch(`${api}/v1/ops/autoheal/history?limit=50`, { headers: operator })).json()) as { items: (Attempt & { by: string })[] }).items,
        (items) => items.some((item) => item.target === 'projector' && item.reason === 'failing-health'),
        'the health restart recorded',
        480,
      );
      const attempt = healed.find((item) => item.target === 'projector' && item.reason === 'failing-health')!;
      t.like(attempt, { action: 'restart', ok: true });
      t.regex(attempt.message, /failed \/health\/ready 3 times in a row.*ready again/);
      t.regex(attempt.by, /chorus supervise/);
      // The api child folds its siblings into the command center's health.
      const health = (await (await fetch(`${api}/v1/ops/health`, { headers: operator })).json()) as { components: { kind: string; status: string }[] };
      t.is(health.components.filter((component) => component.kind === 'peer').length, 2);

      const children = ['api', 'projector', 'enricher'].map((role) => latest(role)!.pid!);
      supervisor.kill('SIGTERM');
      const [code, signal] = await exited;
      t.is(signal, null);
      t.is(code, 0);
      t.deepEqual(children.filter(alive), [], 'every child stopped');
    } finally {
      supervisor.kill('SIGKILL');
      for (const line of started) if (alive(line.pid!)) process.kill(line.pid!, 'SIGKILL');
      await database.drop();
    }
  });
}
