import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { TEST_JWT_SECRET } from '../support/http-specification.js';
import { bearerSignedWith } from '../support/tokens.js';
import { contexts } from '../../api/contexts.js';
import { keptBy } from '../../projections/projection.js';
import { runChorus, type CliResult } from '../support/chorus-cli.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'the chorus command on PostgreSQL');

/** Every process on PostgreSQL needs a signing key; with this one, the test can sign tokens its processes accept. */
const SIGNING = { CHORUS_JWT_SECRET: TEST_JWT_SECRET };

/** Runs `chorus <args>` from the sources, without the services the shell may have set. */
const chorus = (args: string[], env: Record<string, string>): Promise<CliResult> =>
  runChorus(args, { ...process.env, KAFKA_BROKERS: '', REDIS_URL: '', DATABASE_REPLICA_URLS: '', ...SIGNING, ...env });

if (databaseUrl !== undefined) {
  let db: TestDatabase;
  test.before(async () => {
    db = await serverTestDatabase(databaseUrl);
  });
  test.after.always(() => db?.drop());

  test('wrong uses stop with one clear line and exit code 2', async (t) => {
    const env = { DATABASE_URL: db.url! };
    const [relay, role, retry, only] = await Promise.all([
      chorus(['run', 'relay'], env),
      chorus(['run', 'janitor'], env),
      chorus(['dlq', 'retry', '42'], env),
      chorus(['run', 'api', '--only', 'feedback'], env),
    ]);
    t.is(relay.code, 2);
    t.regex(relay.stderr, /KAFKA_BROKERS: the relay role produces to Kafka/);
    t.is(role.code, 2);
    t.regex(role.stderr, /Unknown role "janitor"/);
    t.is(retry.code, 2);
    t.regex(retry.stderr, /There is no dead letter 42/);
    t.is(only.code, 2);
    t.regex(only.stderr, /--only goes with the projector role/);
  });

  test('operator commands report migrations, projections and dead letters', async (t) => {
    const env = { DATABASE_URL: db.url! };
    const [migrations, projections, letters] = await Promise.all([
      chorus(['migrate', 'status'], env),
      chorus(['projections', 'status'], env),
      chorus(['dlq', 'list'], env),
    ]);
    t.is(migrations.code, 0);
    t.regex(migrations.stdout, /applied {2}0001_event_store/);
    t.is(projections.code, 0);
    t.regex(projections.stdout, /^feedback v2 build 0 {2}checkpoint .* lag 0 /m);
    t.is(letters.code, 0);
    t.regex(letters.stdout, /No dead letters/);
  });

  test('a projector-only process serves health and metrics but not the API, and stops on SIGTERM', async (t) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'api/cli/chorus.ts', 'run', 'projector'], {
      env: { ...process.env, KAFKA_BROKERS: '', REDIS_URL: '', DATABASE_REPLICA_URLS: '', ...SIGNING, DATABASE_URL: db.url!, PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    try {
      let url = '';
      for await (const line of createInterface({ input: child.stdout! })) {
        const entry = JSON.parse(line) as { url?: string; roles?: string[] };
        if (entry.url !== undefined) {
          url = entry.url;
          t.deepEqual(entry.roles, ['projector']);
          break;
        }
      }
      const ready = await fetch(`${url}/health/ready`);
      t.is(ready.status, 200);
      // Every read model of every context, and none of the enricher role's processors.
      const projectorWorkers = contexts.flatMap((module) => module.projections.filter((projection) => keptBy(projection, ['projector'])));
      const { workers } = ((await ready.json()) as { checks: { workers: Record<string, string> } }).checks;
      t.deepEqual(workers, Object.fromEntries(projectorWorkers.map((projection) => [`projection.${projection.name}`, 'running'])));
      // A fixed anchor: the list above comes from the same modules and keptBy as the role's own, so it could not tell an empty role.
      t.like(workers, {
        'projection.api-keys': 'running',
        'projection.audit': 'running',
        'projection.feedback': 'running',
        'projection.polls': 'running',
        'projection.drafts': 'running',
        'projection.crm-leads': 'running',
        'projection.diagrams': 'running',
      });
      t.is((await fetch(`${url}/v1/feedback`)).status, 404, 'the API is another role');
      const operator = await bearerSignedWith(TEST_JWT_SECRET, ['operator']);
      const metrics = await (await fetch(`${url}/metrics`, { headers: operator })).text();
      t.true(metrics.includes('chorus_consumer_lag_events{consumer="projection.feedback"} 0'));
      child.kill('SIGTERM');
      t.deepEqual(await exited, [0, null]);
    } finally {
      child.kill('SIGKILL');
    }
  });
}
