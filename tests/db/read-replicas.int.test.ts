// Replica routing against the real standby on DATABASE_REPLICA_URLS. Each run writes in a database of
// its own; the standby mirrors it. Every test is serial: one of them pauses replay on the standby.
import test from 'ava';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { openPostgres, type SqlDatabase } from '../../infrastructure/db/database.js';
import { ReadReplicas, replicaName, type ReadReplicasOptions, type ReplicaTarget } from '../../infrastructure/db/read-replicas.js';
import type { Schema } from '../../projections/schema.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';

test('replicaName gives host:port/db and drops the credentials', (t) => {
  t.is(replicaName('postgres://chorus:s3cret@db-replica-1.internal:6432/chorus?sslmode=require'), 'db-replica-1.internal:6432/chorus');
  t.is(replicaName('postgresql://reader@127.0.0.1/reads'), '127.0.0.1:5432/reads');
});

test('replicaName does not echo an unparseable URL, which may hold a password', (t) => {
  const error = t.throws(() => replicaName('postgres://u:s3cret@bad host/db'));
  t.false(`${error?.message} ${JSON.stringify(error)}`.includes('s3cret'));
});

const replicaUrls = serviceUrl('DATABASE_REPLICA_URLS', 'read replica routing');
const databaseUrl = serviceUrl('DATABASE_URL', 'read replica routing');

if (replicaUrls !== undefined && databaseUrl !== undefined) {
  const standbyServerUrl = replicaUrls.split(',')[0]!.trim();
  let writer: TestDatabase;
  let standbyUrl: string;
  const opened: SqlDatabase[] = [];
  const routers: ReadReplicas[] = [];
  let replayPaused = false;

  test.before(async () => {
    writer = await serverTestDatabase(databaseUrl);
    standbyUrl = sameDatabaseOn(standbyServerUrl, writer.url!);
    // Its schema too: a replica within the lag bound may still lack the migrations committed a moment ago.
    await waitFor('the test database and its schema to reach the standby', () => hasSchema(standbyUrl));
  });

  test.after.always(async () => {
    // Belt and braces: a standby left paused would stall every other suite that reads it.
    if (replayPaused) await standbyQuery(standbyServerUrl, 'select pg_wal_replay_resume()');
    await Promise.all(routers.map((router) => router.stop()));
    await Promise.all(opened.map((database) => database.close()));
    await writer?.drop();
  });

  const replicaOn = (url: string, name = replicaName(url)): ReplicaTarget => {
    const database = openPostgres(url, { poolMax: 2 });
    opened.push(database);
    return { name, db: database.db };
  };

  const startRouter = (replicas: ReplicaTarget[], options: Partial<ReadReplicasOptions> = {}): ReadReplicas => {
    const router = new ReadReplicas(writer.database.db, replicas, { maxLagMs: 10_000, checkIntervalMs: 50, ...options });
    routers.push(router);
    router.start();
    return router;
  };

  test.serial('a row written on the writer becomes readable through choose() once replicated', async (t) => {
    const router = startRouter([replicaOn(standbyUrl)]);
    await waitFor('the replica to be healthy', () => router.choose().role === 'replica');

    const name = await writeRow(writer.database.db);
    const seen = await waitFor('the row to reach the replica', async () => {
      const target = router.choose();
      return target.role === 'replica' && (await hasRow(target.db, name)) ? target : undefined;
    });
    t.is(seen.name, replicaName(standbyUrl));
    t.deepEqual(
      router.status().map((replica) => [replica.name, replica.healthy, replica.lastError]),
      [[replicaName(standbyUrl), true, null]],
    );
  });

  test.serial('choose() takes healthy replicas in turn', async (t) => {
    const router = startRouter([replicaOn(standbyUrl, 'first'), replicaOn(standbyUrl, 'second')]);
    await waitFor('both replicas to be healthy', () => router.status().every((replica) => replica.healthy));

    const names = Array.from({ length: 6 }, () => router.choose().name);
    t.deepEqual(new Set(names), new Set(['first', 'second']));
    for (let i = 1; i < names.length; i++) t.not(names[i], names[i - 1], `choice ${i} repeats the one before it: ${names.join(', ')}`);
  });

  test.serial('a replica that cannot be reached is unhealthy and skipped, falling back to the writer', async (t) => {
    const deadUrl = sameDatabaseOn('postgres://postgres:s3cret@127.0.0.1:1/', writer.url!);
    const errors: string[] = [];
    const onlyDead = startRouter([replicaOn(deadUrl)], { onError: (replica, error) => errors.push(`${replica}: ${error.message}`) });
    const [dead] = await waitFor('the dead replica to be checked', () => {
      const status = onlyDead.status();
      return status[0]?.checkedAt !== null ? status : undefined;
    });
    t.false(dead!.healthy);
    t.not(dead!.lastError, null);
    t.is(dead!.name, '127.0.0.1:1/' + new URL(writer.url!).pathname.slice(1));
    t.like(onlyDead.choose(), { role: 'writer', name: 'writer' });
    t.true(errors.length >= 1);
    t.false(errors.some((message) => message.includes('s3cret')), 'no password in reported errors');

    const mixed = startRouter([replicaOn(deadUrl, 'dead'), replicaOn(standbyUrl, 'live')]);
    await waitFor('the live replica to be healthy', () => mixed.status().find((replica) => replica.name === 'live')?.healthy);
    const names = Array.from({ length: 4 }, () => mixed.choose().name);
    t.deepEqual(names, ['live', 'live', 'live', 'live']);
  });

  test.serial('a replica further behind than maxLagMs is skipped until it catches up', async (t) => {
    const maxLagMs = 200;
    // Other suites read this standby too: while replay is paused, give up early rather than wait the usual bound.
    const pausedAttempts = 60;
    const router = startRouter([replicaOn(standbyUrl)], { maxLagMs });
    await waitFor('the replica to be healthy', () => router.choose().role === 'replica');

    let name = '';
    replayPaused = true;
    try {
      await standbyQuery(standbyServerUrl, 'select pg_wal_replay_pause()');
      // The pause is only requested by the call above; a write replayed before it takes effect would not lag.
      const pauseState = async () => (await standbyQuery(standbyServerUrl, 'select pg_get_wal_replay_pause_state() as state'))[0]?.state;
      await waitFor('replay to pause', async () => (await pauseState()) === 'paused', pausedAttempts);
      name = await writeRow(writer.database.db);
      const [lagging] = await waitFor(
        'the check to report the lag',
        () => {
          const status = router.status();
          return (status[0]?.lagMs ?? 0) > maxLagMs ? status : undefined;
        },
        pausedAttempts,
      );
      t.false(lagging!.healthy);
      t.is(lagging!.lastError, null, 'lag is not an error: the replica answered');
      t.is(router.choose().role, 'writer');
    } finally {
      await standbyQuery(standbyServerUrl, 'select pg_wal_replay_resume()');
      replayPaused = false;
    }

    const caughtUp = await waitFor('the replica to be healthy again', () => {
      const target = router.choose();
      return target.role === 'replica' ? target : undefined;
    });
    t.is(caughtUp.name, replicaName(standbyUrl));
    // Healthy means at most maxLagMs behind, not necessarily holding this very write yet.
    await waitFor('the write to replay once resumed', () => hasRow(caughtUp.db, name));
  });
}

function sameDatabaseOn(serverUrl: string, databaseUrl: string): string {
  const url = new URL(serverUrl);
  url.pathname = new URL(databaseUrl).pathname;
  return url.toString();
}

async function writeRow(db: Kysely<Schema>): Promise<string> {
  const name = `replica-test-${randomUUID()}`;
  await db.insertInto('projections').values({ name, version: 1, checkpoint: null, last_error: null, last_error_at: null, updated_at: new Date() }).execute();
  return name;
}

async function hasRow(db: Kysely<Schema>, name: string): Promise<boolean> {
  const row = await db.selectFrom('projections').select('name').where('name', '=', name).executeTakeFirst();
  return row !== undefined;
}

async function hasSchema(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ ready: boolean }>("select to_regclass('public.projections') is not null as ready");
    return rows[0]?.ready === true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function standbyQuery(url: string, statement: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(statement)).rows;
  } finally {
    await client.end();
  }
}

type Condition<T> = () => T | false | undefined | Promise<T | false | undefined>;

/** Polls until `condition` gives something other than false/undefined, within a bounded number of attempts. */
async function waitFor<T>(what: string, condition: Condition<T>, attempts = 300): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const result = await condition();
    if (result !== false && result !== undefined) return result;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}
