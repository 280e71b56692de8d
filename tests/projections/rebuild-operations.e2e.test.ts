// Rebuild, rollback and verify as operators use them: over HTTP (202 and Location, 409 while one runs, access,
// metrics) and from the shell, embedded and on PostgreSQL (`chorus rebuild` killed with -9 and run again resumes
// and ends equal to the log; a second `chorus rebuild` exits 2 naming the holder; `chorus verify` exits 1 on a
// difference).
import test from 'ava';
import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { startAll, type RunningChorus } from '../../api/main.js';
import { feedbackStreamId } from '../../domain/feedback/events.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import { loadConfig } from '../../infrastructure/config.js';
import type { EventStore } from '../../application/ports/event-store.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { apiMigrations, contexts } from '../../api/contexts.js';
import { openSystem } from '../../infrastructure/composition-root.js';
import type { Schema } from '../../projections/schema.js';
import type { Kysely } from 'kysely';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { metadata } from '../support/events.js';
import { TEST_CONFIG, TEST_JWT_SECRET, bearerFor } from '../support/http-specification.js';
import { serviceUrl } from '../support/services.js';
import { runChorus, type CliResult } from '../support/chorus-cli.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'chorus rebuild from the shell on PostgreSQL');

/** Feedback submissions appended straight to the log, many per append: a log worth rebuilding, quickly. */
async function seedFeedback(store: EventStore, count: number): Promise<void> {
  const appends = Array.from({ length: count }, (_, n) => {
    const feedbackId = uuidv7();
    const data = { feedbackId, text: `Seeded feedback ${n}`, rating: (n % 5) + 1, source: null, customerId: null, submittedAt: new Date(Date.UTC(2026, 10, 1 + (n % 28))).toISOString() };
    return () => store.append(feedbackStreamId(feedbackId), [{ eventId: uuidv7(), type: 'FeedbackSubmitted', data, metadata }], { expectedRevision: 'no_stream' });
  });
  for (let i = 0; i < appends.length; i += 50) await Promise.all(appends.slice(i, i + 50).map((append) => append()));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test.serial('over HTTP: rebuild (202, 409 while running), verify, rollback, drop; operators only; metrics', async (t) => {
  const chorus: RunningChorus = await startAll(loadConfig({ ...TEST_CONFIG, CHORUS_PROJECTION_BATCH_SIZE: '20' }), pino({ level: 'silent' }));
  try {
    await seedFeedback(chorus.system.store, 2000);
    const operator = await bearerFor(chorus, ['operator']);
    const call = (method: string, path: string, headers = operator) => fetch(`${chorus.url}${path}`, { method, headers });
    const json = async (response: Response) => (await response.json()) as Record<string, unknown>;

    const started = await call('POST', '/v1/ops/projections/feedback/rebuild');
    t.is(started.status, 202);
    t.is(started.headers.get('location'), '/v1/ops/projections/feedback');
    t.like(await json(started), { projection: 'feedback', generation: 1 });
    const again = await call('POST', '/v1/ops/projections/feedback/rebuild');
    t.is(again.status, 409, JSON.stringify(await again.clone().json()));
    t.like(await json(again), { code: 'PROJECTION.REBUILD_RUNNING' });
    const done = await until('the rebuild', async () => {
      const body = await json(await call('GET', '/v1/ops/projections/feedback'));
      return (body.rebuild as { status: string }).status === 'building' ? undefined : body;
    });
    t.like(done, { version: feedbackProjection.version, codeVersion: feedbackProjection.version, generation: 1, previous: { generation: 0, version: feedbackProjection.version }, rebuild: { status: 'completed' } });
    // The submissions, and the categorisations the triage enricher has added so far.
    t.true((done.rebuild as { processed: number }).processed >= 2000);
    const list = await json(await call('GET', '/v1/ops/projections'));
    t.true((list.items as { name: string; generation: number }[]).some((item) => item.name === 'feedback' && item.generation === 1));

    const verification = await call('POST', '/v1/ops/projections/feedback/verify');
    t.is(verification.status, 202);
    const location = verification.headers.get('location')!;
    t.regex(location, /^\/v1\/ops\/verifications\/[0-9a-f-]{36}$/);
    const verified = await until('the verification', async () => {
      const body = await json(await call('GET', location));
      return body.status === 'running' ? undefined : body;
    });
    t.like(verified, { status: 'completed', equal: true, missing: 0, extra: 0, different: 0 });

    const rolledBack = await call('POST', '/v1/ops/projections/feedback/rollback');
    t.is(rolledBack.status, 200);
    t.like(await json(rolledBack), { projection: 'feedback', generation: 0 });
    t.like(await json(await call('POST', '/v1/ops/projections/feedback/drop-previous')), { dropped: true });
    const none = await call('POST', '/v1/ops/projections/feedback/rollback');
    t.is(none.status, 409);
    t.like(await json(none), { code: 'PROJECTION.NO_PREVIOUS' });

    t.is((await call('POST', '/v1/ops/projections/nope/rebuild')).status, 404);
    t.is((await call('GET', '/v1/ops/verifications/not-an-id')).status, 404);
    t.is((await call('GET', `/v1/ops/verifications/${uuidv7()}`)).status, 404);
    t.is((await call('POST', '/v1/ops/projections/feedback/rebuild', await bearerFor(chorus, ['viewer']))).status, 403);
    t.is((await fetch(`${chorus.url}/v1/ops/projections/feedback/verify`, { method: 'POST' })).status, 401);

    const metrics = await (await call('GET', '/metrics')).text();
    t.regex(metrics, /chorus_rebuild_running\{projection="feedback"\} 0/);
    t.regex(metrics, new RegExp(`chorus_rebuild_processed_events\\{projection="feedback"\\} ${(done.rebuild as { processed: number }).processed}`));
    const audited = await until('the audit entries', async () => {
      const rows = await chorus.system.database.db.selectFrom('audit_entries').select(['type', 'reason']).where('type', 'in', ['projection.rebuild_started', 'projection.verify_started', 'projection.rolled_back', 'projection.previous_dropped']).execute();
      return rows.length >= 7 ? rows : undefined;
    });
    t.deepEqual(
      new Set(audited.map((row) => `${row.type} ${row.reason}`)),
      new Set([
        'projection.rebuild_started started',
        'projection.rebuild_started refused: PROJECTION.REBUILD_RUNNING',
        'projection.verify_started verification ' + location.split('/').pop(),
        'projection.rolled_back build 0 live',
        'projection.previous_dropped dropped',
        'projection.rolled_back refused: PROJECTION.NO_PREVIOUS',
        'projection.rebuild_started refused: PROJECTION.NOT_FOUND',
      ]),
    );
  } finally {
    await chorus.stop();
  }
});

/** Where the shell test's processes keep their data, and how the test looks at it between (or during) their runs. */
type ShellProfile = Readonly<{
  name: string;
  env: Record<string, string>;
  /** Runs `work` on the data: at any time on a server; on the embedded profile only while no `chorus` holds it. */
  withDatabase<T>(work: (db: Kysely<Schema>, store: EventStore) => Promise<T>): Promise<T>;
  cleanup(): Promise<void>;
}>;

const serverShell = async (serverUrl: string): Promise<ShellProfile> => {
  const db: TestDatabase = await serverTestDatabase(serverUrl);
  const store = new PostgresEventStore(db.database, { pollIntervalMs: 1000 });
  return { name: 'PostgreSQL', env: { DATABASE_URL: db.url! }, withDatabase: (work) => work(db.database.db, store), cleanup: () => db.drop() };
};

const embeddedShell = async (): Promise<ShellProfile> => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'chorus-rebuild-shell-'));
  const config = loadConfig({ CHORUS_JWT_SECRET: TEST_JWT_SECRET, CHORUS_DATA_DIR: dataDir });
  return {
    name: 'embedded',
    env: { CHORUS_DATA_DIR: dataDir },
    withDatabase: async (work) => {
      const system = await openSystem(config, pino({ level: 'silent' }), { roles: ['projector'], modules: contexts, migrations: apiMigrations });
      try {
        return await work(system.database.db, system.store);
      } finally {
        await system.close();
      }
    },
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
};

function shellSuite(open: () => Promise<ShellProfile>, name: string): void {
  let profile: ShellProfile;
  test.before(async () => {
    profile = await open();
    await profile.withDatabase((_, store) => seedFeedback(store, 3000));
  });
  test.after.always(() => profile?.cleanup());

  /** One event per batch, so that the rebuild takes long enough to be killed halfway. */
  const env = (batchSize = 1) => ({
    ...process.env,
    DATABASE_URL: '',
    KAFKA_BROKERS: '',
    REDIS_URL: '',
    DATABASE_REPLICA_URLS: '',
    CHORUS_JWT_SECRET: TEST_JWT_SECRET,
    CHORUS_PROJECTION_BATCH_SIZE: String(batchSize),
    ...profile.env,
  });
  const chorus = (args: string[], batchSize?: number): Promise<CliResult> => runChorus(args, env(batchSize));
  const rebuilds = () => profile.withDatabase((db) => db.selectFrom('projection_rebuilds').selectAll().where('projection', '=', 'feedback').executeTakeFirst());

  test.serial(`${name}: kill -9 during a rebuild, run it again: it resumes and ends equal to the log; a second one exits 2`, async (t) => {
    const first = spawn(process.execPath, ['--import', 'tsx', 'api/cli/chorus.ts', 'rebuild', 'feedback'], { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
    let progress = '';
    // The first progress line comes as soon as the rebuild is under way; a little later it is well into the log.
    await new Promise<void>((resolve, reject) => {
      first.stderr!.on('data', (chunk: Buffer) => {
        progress += chunk.toString();
        if (/rebuild feedback: \d+\/\d+ events/.test(progress)) resolve();
      });
      first.once('exit', (code) => reject(new Error(`chorus rebuild ended (${code}) before showing progress: ${progress}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const concurrent = await chorus(['rebuild', 'feedback']);
    t.is(concurrent.code, 2);
    // On a server the rebuild's advisory lock answers; on the embedded profile the data directory's lock does.
    t.regex(concurrent.stderr, /(A rebuild of feedback is running \(.+ pid \d+\))|(is in use by process \d+)/);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const killed = await rebuilds();
    t.like(killed, { status: 'building', generation: 1 });
    t.true(Number(killed!.processed) > 0 && Number(killed!.processed) < 3000, `killed halfway, after ${killed!.processed} events`);

    const resumed = await chorus(['rebuild', 'feedback'], 50);
    t.is(resumed.code, 0, resumed.stderr);
    t.regex(resumed.stderr, /rebuilt from 3000 event\(s\) and swapped in as build 1/);
    const finished = await rebuilds();
    t.like(finished, { status: 'completed', generation: 1 });
    t.is(Number(finished!.processed), 3000);
    t.deepEqual(finished!.started_at, killed!.started_at, 'the same rebuild, continued, not a new one');
    t.is(await profile.withDatabase(async (db) => (await db.selectFrom('feedback').select('id').execute()).length), 3000);

    const verified = await chorus(['verify', 'feedback'], 500);
    t.is(verified.code, 0, verified.stdout + verified.stderr);
    t.regex(verified.stdout, /feedback: 0 missing, 0 extra, 0 different/);
    await profile.withDatabase((db) => db.updateTable('feedback').set({ rating: 5 }).where('rating', '=', 1).execute());
    const differs = await chorus(['verify', 'feedback', '--examples', '1'], 500);
    t.is(differs.code, 1);
    t.regex(differs.stdout, /feedback: 0 missing, 0 extra, 600 different/);
    t.regex(differs.stdout, /different feedback \{"id":"[0-9a-f-]{36}"\}/);
  });
}

shellSuite(embeddedShell, 'from the shell, embedded');
if (databaseUrl !== undefined) shellSuite(() => serverShell(databaseUrl), 'from the shell, PostgreSQL');
