// /v1/ops/ping and /v1/ops/health: who may call them, and the overall status in each case: ok with every
// dependency up, degraded when Redis, a replica or a peer is not, down when the writer database is unreachable.
import test from 'ava';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { pino } from 'pino';
import { startAll, startRoles, type RunningChorus } from '../../api/main.js';
import type { Role } from '../../infrastructure/composition-root.js';
import { loadConfig } from '../../infrastructure/config.js';
import type { SystemHealth } from '../../infrastructure/ops/system-health.js';
import { serverTestDatabase } from '../support/databases.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';
import { serviceUrl } from '../support/services.js';

type Report = SystemHealth & { version: string; roles: string[] };

const start = (env: Record<string, string> = {}): Promise<RunningChorus> => startAll(loadConfig({ ...TEST_CONFIG, ...env }), pino({ level: 'silent' }));

async function health(chorus: RunningChorus): Promise<{ status: number; body: Report }> {
  const response = await fetch(`${chorus.url}/v1/ops/health`, { headers: await bearerFor(chorus, ['operator']) });
  return { status: response.status, body: (await response.json()) as Report };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}`);
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const component = (report: Report, name: string) => report.components.find((entry) => entry.name === name);

test.serial('ping: operators and admins get version, uptime and roles; others are refused', async (t) => {
  const chorus = await start();
  try {
    for (const roles of [['operator'], ['admin']] as const) {
      const response = await fetch(`${chorus.url}/v1/ops/ping`, { headers: await bearerFor(chorus, roles) });
      t.is(response.status, 200, roles[0]);
      const body = (await response.json()) as { status: string; version: string; uptimeSeconds: number; roles: string[] };
      t.is(body.status, 'ok');
      t.regex(body.version, /^\d+\.\d+\.\d+/);
      t.true(body.uptimeSeconds >= 0);
      t.deepEqual(body.roles, ['api', 'relay', 'projector', 'enricher']);
    }
    for (const path of ['/v1/ops/ping', '/v1/ops/health', '/v1/ops/autoheal/status', '/v1/ops/autoheal/history', '/v1/ops/autoheal/stats']) {
      t.is((await fetch(`${chorus.url}${path}`)).status, 401, `${path} without a token`);
      for (const role of ['viewer', 'agent', 'member'] as const) {
        const response = await fetch(`${chorus.url}${path}`, { headers: await bearerFor(chorus, [role]) });
        t.is(response.status, 403, `${path} as ${role}`);
        t.regex(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
    }
  } finally {
    await chorus.stop();
  }
});

test.serial('health: ok with every component up, each with status, latency and detail', async (t) => {
  const chorus = await start();
  try {
    const { status, body } = await until(() => health(chorus), (r) => r.body.status === 'ok', 'all ok');
    t.is(status, 200);
    t.like(component(body, 'event-store'), { kind: 'event-store', status: 'ok' });
    t.like(component(body, 'writer'), { kind: 'database', status: 'ok', detail: { kind: 'pglite' } });
    t.like(component(body, 'cache'), { kind: 'cache', status: 'ok' });
    t.like(component(body, 'local'), { kind: 'ai-provider', status: 'ok', detail: { circuit: 'closed' } });
    for (const projection of chorus.system.projections) {
      t.like(component(body, projection.name), { kind: 'projection', status: 'ok' }, projection.name);
      t.is(typeof component(body, projection.name)!.detail.lag, 'number');
    }
    t.like(component(body, 'enricher.feedback-triage'), { kind: 'enricher', status: 'ok', detail: { role: 'enricher' } });
    for (const entry of body.components) t.true(Number.isInteger(entry.latencyMs) && entry.latencyMs >= 0, entry.name);
  } finally {
    await chorus.stop();
  }
});

test.serial('health: degraded when Redis is down, and when a peer is unreachable; ok when the peer answers ready', async (t) => {
  const chorus = await start({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
  try {
    const { status, body } = await until(() => health(chorus), (r) => component(r.body, 'redis') !== undefined, 'redis checked');
    t.is(status, 200);
    t.is(body.status, 'degraded');
    t.like(component(body, 'redis'), { kind: 'redis', status: 'degraded' });
    t.like(component(body, 'writer'), { status: 'ok' });
  } finally {
    await chorus.stop();
  }
  const peer = await start();
  const unreachable = `http://127.0.0.1:${await closedPort()}/health/ready`;
  const withPeers = await start({ CHORUS_PEERS: `${peer.url}/health/ready,${unreachable}`, CHORUS_PEER_TIMEOUT_MS: '500' });
  try {
    const { body } = await health(withPeers);
    t.is(body.status, 'degraded');
    const peers = body.components.filter((entry) => entry.kind === 'peer');
    t.is(peers.length, 2);
    t.like(peers.find((entry) => entry.detail.url === `${peer.url}/health/ready`), { status: 'ok', detail: { httpStatus: 200 } });
    const lost = peers.find((entry) => entry.detail.url === unreachable)!;
    t.is(lost.status, 'degraded');
    t.regex(String(lost.detail.error), /^unreachable/);
  } finally {
    await withPeers.stop();
    await peer.stop();
  }
});

test.serial('health: degraded while a projection is stuck, with its last error; ok again once it recovers', async (t) => {
  t.timeout(120_000);
  const chorus = await start({ CHORUS_STUCK_AFTER_MS: '1000', CHORUS_PROJECTION_MAX_ATTEMPTS: '100', CHORUS_AUTOHEAL_TARGETS: 'api' });
  try {
    const db = chorus.system.database.db;
    await sql`alter table feedback_counts rename to feedback_counts_away`.execute(db);
    const created = await fetch(`${chorus.url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"while broken"}' });
    t.is(created.status, 201);
    const { status, body } = await until(() => health(chorus), (r) => component(r.body, 'feedback')?.status === 'degraded', 'the projection degraded');
    t.is(status, 200);
    t.is(body.status, 'degraded');
    t.regex(String(component(body, 'feedback')!.detail.error), /^stuck: database error 42P01/);
    await sql`alter table feedback_counts_away rename to feedback_counts`.execute(db);
    const recovered = await until(() => health(chorus), (r) => r.body.status === 'ok', 'ok again');
    t.like(component(recovered.body, 'feedback'), { status: 'ok', detail: { worker: 'running', failures: 0 } });
  } finally {
    await chorus.stop();
  }
});

// The server profile: a replica that is down degrades; a writer that cannot be reached is down.
const databaseUrl = serviceUrl('DATABASE_URL', 'the command center against PostgreSQL');
if (databaseUrl !== undefined) {
  test.serial('ping and health from a process of each role: its roles, its workers, and ok', async (t) => {
    t.timeout(240_000);
    const database = await serverTestDatabase(databaseUrl);
    // Kafka and Redis join when the environment names them: the relay role needs Kafka.
    const services = Object.fromEntries(['KAFKA_BROKERS', 'REDIS_URL'].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])));
    const roles: readonly Role[] = ['api', 'projector', 'enricher', ...(services.KAFKA_BROKERS === undefined ? [] : (['relay'] as const))];
    try {
      for (const role of roles) {
        const chorus = await startRoles(loadConfig({ ...TEST_CONFIG, ...services, DATABASE_URL: database.url! }), pino({ level: 'silent' }), { roles: [role] });
        try {
          const ping = await fetch(`${chorus.url}/v1/ops/ping`, { headers: await bearerFor(chorus, ['operator']) });
          t.deepEqual(((await ping.json()) as { roles: string[] }).roles, [role]);
          const { status, body } = await until(() => health(chorus), (r) => r.body.status === 'ok', `${role}: ok`);
          t.is(status, 200, role);
          t.deepEqual(body.roles, [role]);
          const kinds = new Set(body.components.map((entry) => entry.kind));
          t.true(kinds.has('event-store') && kinds.has('database') && kinds.has('ai-provider'), role);
          t.is(kinds.has('kafka'), services.KAFKA_BROKERS !== undefined, role);
          t.is(kinds.has('redis'), services.REDIS_URL !== undefined, role);
          const feedback = component(body, 'feedback')!;
          t.is(feedback.detail.worker, role === 'projector' ? 'running' : 'not run by this process', role);
          // Every enricher is listed with its lag; only the enricher role runs them.
          t.like(component(body, 'enricher.feedback-triage'), { kind: 'enricher', status: 'ok' }, role);
          t.is(component(body, 'enricher.feedback-triage')!.detail.worker === 'not run by this process', role !== 'enricher', role);
          if (role === 'relay') t.like(component(body, 'relay'), { kind: 'worker', status: 'ok', detail: { role: 'relay' } });
        } finally {
          await chorus.stop();
        }
      }
    } finally {
      await database.drop();
    }
  });

  test.serial('health: degraded when a replica is down', async (t) => {
    const database = await serverTestDatabase(databaseUrl);
    const replica = `postgres://postgres@127.0.0.1:${await closedPort()}/test`;
    const chorus = await start({ DATABASE_URL: database.url!, DATABASE_REPLICA_URLS: replica });
    try {
      const { status, body } = await until(() => health(chorus), (r) => r.body.components.some((entry) => entry.kind === 'replica' && entry.detail.lastError !== null), 'replica checked');
      t.is(status, 200);
      t.is(body.status, 'degraded');
      t.like(body.components.find((entry) => entry.kind === 'replica'), { status: 'degraded' });
      t.like(component(body, 'writer'), { status: 'ok', detail: { kind: 'postgres' } });
    } finally {
      await chorus.stop();
      await database.drop();
    }
  });

  test.serial('health: down (503) when the writer database is unreachable', async (t) => {
    t.timeout(60_000);
    const database = await serverTestDatabase(databaseUrl);
    const target = new URL(database.url!);
    // The writer is reached through a proxy the test can cut.
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxied = new URL(database.url!);
    proxied.hostname = '127.0.0.1';
    proxied.port = String((proxy.address() as AddressInfo).port);
    const chorus = await startRoles(loadConfig({ ...TEST_CONFIG, DATABASE_URL: proxied.toString() }), pino({ level: 'silent' }), { roles: ['api'] });
    try {
      t.is((await health(chorus)).body.status, 'ok');
      const operator = await bearerFor(chorus, ['operator']);
      // close() stops new connections; its callback would wait for the open ones, which are cut here.
      proxy.close();
      for (const socket of sockets) socket.destroy();
      const response = await fetch(`${chorus.url}/v1/ops/health`, { headers: operator });
      t.is(response.status, 503);
      const body = (await response.json()) as Report;
      t.is(body.status, 'down');
      t.like(component(body, 'writer'), { status: 'down' });
      t.like(component(body, 'event-store'), { status: 'down' });
      t.truthy(component(body, 'writer')!.detail.error);
      // Ping checks nothing: it still answers.
      t.is((await fetch(`${chorus.url}/v1/ops/ping`, { headers: operator })).status, 200);
    } finally {
      await chorus.stop().catch(() => undefined);
      await database.drop();
    }
  });
}
