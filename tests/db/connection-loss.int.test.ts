// A PostgreSQL connection that dies under a running system (pg_terminate_backend, a server restart, a failover,
// idle_in_transaction_session_timeout) costs the requests it was serving a 503, never the process; the
// consumers reconnect and catch up. An uncaught error here would fail the whole ava worker.
import test from 'ava';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { startAll, type RunningChorus } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { TEST_CONFIG } from '../support/http-specification.js';

const serverUrl = serviceUrl('DATABASE_URL', 'connection loss on PostgreSQL');

type Outcome = Readonly<{ status: number; id: string | undefined; code: string | undefined; retryAfter: string | null }>;

if (serverUrl !== undefined) {
  let testDatabase: TestDatabase;
  let databaseName: string;
  let chorus: RunningChorus;
  /** On the server's own database, so that terminating the test database's backends never ends it. */
  let admin: pg.Client;

  test.before(async () => {
    testDatabase = await serverTestDatabase(serverUrl);
    // The system opens its own pool on the new database; this one only creates and drops it.
    await testDatabase.database.close();
    databaseName = new URL(testDatabase.url!).pathname.slice(1);
    admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    const config = loadConfig({
      ...TEST_CONFIG,
      DATABASE_URL: testDatabase.url!,
      CHORUS_POLL_INTERVAL_MS: '100',
      // Everything in this one database and this process: no broker, no shared cache, no replicas.
      KAFKA_BROKERS: '',
      REDIS_URL: '',
      DATABASE_REPLICA_URLS: '',
      LOG_LEVEL: 'silent',
    });
    chorus = await startAll(config, pino({ level: 'silent' }));
  });

  test.after.always(async () => {
    await chorus?.stop();
    await admin?.end();
    await testDatabase?.drop();
  });

  /** Ends every connection to the test database except `spare`; returns how many it ended. */
  async function terminateBackends(spare?: number): Promise<number> {
    const { rows } = await admin.query<{ terminated: boolean }>(
      'select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and pid <> $2',
      [databaseName, spare ?? 0],
    );
    return rows.filter((row) => row.terminated).length;
  }

  async function submit(text: string): Promise<Outcome> {
    const response = await fetch(`${chorus.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text, rating: 3 }),
    });
    const body = (await response.json()) as { id?: string; code?: string };
    return { status: response.status, id: body.id, code: body.code, retryAfter: response.headers.get('retry-after') };
  }

  async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
    for (let attempt = 0; attempt < 3000; attempt++) {
      if (await condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`never happened: ${what}`);
  }

  /** A client of the test database that the terminations do not touch: opened once they are over. */
  async function onTestDatabase<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: testDatabase.url! });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  test.serial('a command whose connection is terminated mid-statement answers 503 with Retry-After, and the next one succeeds', async (t) => {
    // A lock on streams holds the append inside its transaction, on a checked-out client, until we end it.
    const locker = new pg.Client({ connectionString: testDatabase.url! });
    locker.on('error', () => undefined); // spared by the terminations; should it die anyway, the assertions say so
    await locker.connect();
    try {
      const lockerPid = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      await locker.query('begin');
      await locker.query('lock table streams in exclusive mode');
      const reply = submit('Held up by a lock, then cut off');
      await until(async () => {
        const { rows } = await admin.query('select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [lockerPid]);
        return rows.length > 0;
      }, 'the append waits for the lock');
      t.true((await terminateBackends(lockerPid)) > 0);
      const outcome = await reply;
      t.like(outcome, { status: 503, code: 'SERVICE.UNAVAILABLE' });
      t.truthy(outcome.retryAfter);
      await locker.query('rollback');
    } finally {
      await locker.end();
    }
    t.is((await submit('After the cut')).status, 201);
  });

  test.serial('under write load, repeated terminations of every backend cost 503s at most, and lose no acknowledged write', async (t) => {
    const outcomes: Outcome[] = [];
    let loading = true;
    const writers = Array.from({ length: 8 }, async (_, writer) => {
      for (let n = 0; loading; n++) {
        outcomes.push(await submit(`writer ${writer}, submission ${n}`).catch((error: unknown) => ({ status: 0, id: undefined, code: String(error), retryAfter: null })));
      }
    });
    const created = (): number => outcomes.filter((outcome) => outcome.status === 201).length;
    let terminated = 0;
    try {
      for (let round = 0; round < 5; round++) {
        // Each round waits for the system to acknowledge writes again: the previous cut healed.
        const before = created();
        await until(() => created() >= before + 10, `writes succeed again after cut ${round}`);
        terminated += await terminateBackends();
      }
      const before = created();
      await until(() => created() >= before + 10, 'writes succeed again after the last cut');
    } finally {
      loading = false;
      await Promise.all(writers);
    }

    t.true(terminated > 0, 'the test ended some connections');
    const unexpected = outcomes.filter((outcome) => outcome.status !== 201 && outcome.status !== 503);
    t.deepEqual(unexpected, [], 'every POST answered 201 or 503');
    t.true(outcomes.filter((outcome) => outcome.status === 503).every((outcome) => outcome.code === 'SERVICE.UNAVAILABLE' && outcome.retryAfter !== null));
    t.log(`${outcomes.length} POSTs, ${created()} created, ${outcomes.length - created()} answered 503; ${terminated} connections terminated`);

    const ids = outcomes.filter((outcome) => outcome.status === 201).map((outcome) => outcome.id!);
    const streams = ids.map((id) => `feedback-${id}`);
    const stored = await onTestDatabase(async (client) => {
      const { rows } = await client.query<{ stream_id: string }>(
        "select stream_id from events where type = 'FeedbackSubmitted' and stream_id = any($1::text[])",
        [streams],
      );
      return new Set(rows.map((row) => row.stream_id));
    });
    t.deepEqual(
      streams.filter((stream) => !stored.has(stream)),
      [],
      'every acknowledged write is in the event store',
    );
    let missing: string[] = ids;
    await until(async () => {
      const projected = await onTestDatabase(async (client) => {
        const { rows } = await client.query<{ id: string }>('select id from feedback where id = any($1::uuid[])', [ids]);
        return new Set(rows.map((row) => row.id));
      });
      missing = ids.filter((id) => !projected.has(id));
      return missing.length === 0;
    }, 'the projections catch up').catch(() => undefined);
    t.deepEqual(missing, [], 'every acknowledged write reaches the read model');
    const deadLetters = await onTestDatabase(async (client) => Number((await client.query<{ count: string }>('select count(*) as count from dead_letters')).rows[0]!.count));
    t.is(deadLetters, 0, 'a lost connection is retried, never dead-lettered');
  });

  test.serial('the LISTEN connection comes back after it is terminated, and notifications arrive again', async (t) => {
    let heard = 0;
    const stopListening = await chorus.system.database.listen('connection_loss_test', () => heard++);
    try {
      t.true((await terminateBackends()) > 0);
      // Back, it wakes every listener once, for whatever was committed while nobody listened.
      await until(() => heard > 0, 'the LISTEN connection is back');
      heard = 0;
      await onTestDatabase(async (client) => {
        await until(async () => {
          await client.query('notify connection_loss_test');
          return heard > 0;
        }, 'a notification arrives on the new connection');
      });
      t.true(heard > 0);
    } finally {
      await stopListening();
    }
  });

  test.serial('idle_in_transaction_session_timeout on a checked-out connection fails that transaction only; the pool goes on serving', async (t) => {
    const { db } = chorus.system.database;
    // The previous test terminated backends the pool may still hold as idle clients whose end has not reached them
    // yet (a race no pool can close: the first query on such a client fails). Let them fail before this test looks.
    const poolRound = () => Promise.allSettled(Array.from({ length: 25 }, () => sql`select 1`.execute(db)));
    for (let round = 0; round < 10 && (await poolRound()).some((answer) => answer.status === 'rejected'); round++);
    await t.throwsAsync(
      db.connection().execute(async (connection) => {
        await sql`set idle_in_transaction_session_timeout = '50ms'`.execute(connection);
        await sql`begin`.execute(connection);
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(connection);
        const pid = rows[0]!.pid;
        await until(async () => (await admin.query('select 1 from pg_stat_activity where pid = $1', [pid])).rows.length === 0, 'the server ends the idle transaction');
        await sql`select 1`.execute(connection);
      }),
    );
    // More queries at once than the pool holds, so that every pooled client serves one. A client whose end has not
    // reached it yet fails its first query (see above) and leaves the pool; a pool that kept serving a dead one
    // would fail every round.
    const numbered = () => Promise.allSettled(Array.from({ length: 25 }, async (_, n) => (await sql<{ n: number }>`select ${n}::int as n`.execute(db)).rows[0]!.n));
    let answers = await numbered();
    for (let round = 0; round < 10 && answers.some((answer) => answer.status === 'rejected'); round++) answers = await numbered();
    t.deepEqual(
      answers.map((answer) => (answer.status === 'fulfilled' ? answer.value : String(answer.reason))),
      Array.from({ length: 25 }, (_, n) => n),
    );
    t.is((await submit('After an idle transaction timed out')).status, 201);
  });
}
