// Blue/green rebuilds and verify, on PGlite and on PostgreSQL: a rebuild while a writer keeps appending and a
// reader keeps querying (no failed query, rows equal to verify's build; also with the live build fed by Kafka),
// rollback and drop, an empty store, sparse
// events, a poison event, a second rebuild refused, a projection whose code version moved, and verify catching a
// row changed behind the projection's back.
import test, { type ExecutionContext } from 'ava';
import { sql } from 'kysely';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { startRoles, type RunningChorus } from '../../api/main.js';
import type { Role } from '../../infrastructure/composition-root.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { feedbackStreamId } from '../../domain/feedback/events.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import { loadConfig } from '../../infrastructure/config.js';
import { RebuildRunning } from '../../projections/rebuild/projection-rebuilds.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { freshStream, metadata, newEvents } from '../support/events.js';
import { TEST_CONFIG, bearerFor } from '../support/http-specification.js';
import { serviceUrl } from '../support/services.js';
import { testTopicPrefix } from '../support/kafka.js';

const silent = pino({ level: 'silent' });
const databaseUrl = serviceUrl('DATABASE_URL', 'rebuilds on PostgreSQL');
const brokers = serviceUrl('KAFKA_BROKERS', 'a rebuild while Kafka feeds the live build');

type Subject = Readonly<{ start(env?: Record<string, string>, roles?: readonly Role[]): Promise<RunningChorus>; close(): Promise<void> }>;
type Open = (options: { durable: boolean }) => Promise<Subject>;

/** In memory, or on disk for a test that stops Chorus and starts it again on the same data. */
const embedded: Open = async ({ durable }) => {
  const dataDir = durable ? await mkdtemp(path.join(tmpdir(), 'chorus-rebuild-')) : 'memory://';
  return {
    start: (env = {}, roles) => startRoles(loadConfig({ ...TEST_CONFIG, CHORUS_DATA_DIR: dataDir, ...env }), silent, roles === undefined ? {} : { roles }),
    close: () => (durable ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve()),
  };
};

const onServer =
  (transport: Record<string, string> = {}): Open =>
  async () => {
    const db: TestDatabase = await serverTestDatabase(databaseUrl!);
    return {
      start: (env = {}, roles) =>
        startRoles(loadConfig({ ...TEST_CONFIG, CHORUS_DATA_DIR: '', DATABASE_URL: db.url!, ...transport, ...env }), silent, roles === undefined ? {} : { roles }),
      close: () => db.drop(),
    };
  };

/** Name, how to open it, and whether only the tests marked for every transport run there. */
type Suite = [string, Open, 'all' | 'transport'];
const suites: Suite[] = [
  ['PGlite', embedded, 'all'],
  ...(databaseUrl === undefined ? [] : [['PostgreSQL', onServer(), 'all'] as Suite]),
  // The live build applies what Kafka delivers, in Kafka's order and late, while the rebuild reads the store.
  ...(databaseUrl === undefined || brokers === undefined
    ? []
    : [['PostgreSQL + Kafka', onServer({ KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: testTopicPrefix(), KAFKA_TOPIC_PARTITIONS: '3' }), 'transport'] as Suite]),
];

async function post(chorus: RunningChorus, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${chorus.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function submit(chorus: RunningChorus, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await post(chorus, '/v1/feedback', { text: `Feedback number ${i}: the app is ${i % 2 ? 'great' : 'slow'}`, rating: (i % 5) + 1 });
    if (response.status !== 201) throw new Error(`submit answered ${response.status}`);
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}

/**
 * Waits until the live feedback read model has applied the whole log, as a client does: a read with the last
 * event's position as its X-Chorus-Min-Position (which knows every transport's progress, Kafka's included). The
 * last event, not the store's head: on a server the head lags while any transaction in the cluster is open.
 */
async function settled(chorus: RunningChorus): Promise<void> {
  const { rows } = await sql<{ last: string | null }>`select max(position)::text as last from events`.execute(chorus.system.database.db);
  const last = rows[0]?.last ?? null;
  if (last === null) return;
  const headers = { ...(await bearerFor(chorus, ['viewer'])), 'X-Chorus-Min-Position': last };
  for (let attempt = 0; attempt < 10; attempt++) {
    const response = await fetch(`${chorus.url}/v1/feedback?limit=1`, { headers });
    if (response.status === 200) return;
    if (response.status !== 503) throw new Error(`the read answered ${response.status}: ${await response.text()}`);
  }
  throw new Error('the feedback read model never caught up');
}

/**
 * Waits until the triage enricher has categorized `count` feedback and the read model shows it. A test that changes
 * rows behind the projection's back does so after this: a categorization applied to a row it deleted moves no total
 * live, where the log's build counts it.
 */
async function categorized(chorus: RunningChorus, count: number): Promise<void> {
  const { db } = chorus.system.database;
  for (let attempt = 0; attempt < 500; attempt++) {
    const row = await db.selectFrom('feedback').select((eb) => eb.fn.countAll<string>().as('n')).where('category', 'is not', null).executeTakeFirstOrThrow();
    if (Number(row.n) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the triage enricher never categorized ${count} feedback`);
}

const verify = (chorus: RunningChorus, name = 'feedback') => chorus.system.verifications.verify(chorus.system.rebuilds.projection(name), 5);

for (const [name, open, runs] of suites) {
  const it = (
    title: string,
    body: (t: ExecutionContext, chorus: RunningChorus, restart: () => Promise<RunningChorus>) => Promise<void>,
    env: Record<string, string> = {},
    durable = false,
    everyTransport = false,
  ): void => {
    if (runs === 'transport' && !everyTransport) return;
    test.serial(`${name}: ${title}`, async (t) => {
      const subject = await open({ durable });
      const settings = { CHORUS_PROJECTION_BATCH_SIZE: '20', ...env };
      let chorus = await subject.start(settings);
      try {
        await body(t, chorus, async () => {
          await chorus.stop();
          chorus = await subject.start(settings);
          return chorus;
        });
      } finally {
        await chorus.stop();
        await subject.close();
      }
    });
  };

  it('rebuilds while a writer appends and a reader queries: no failed query, rows equal to a fresh build, then rolls back and drops', async (t, chorus) => {
    await submit(chorus, 60);
    await settled(chorus);
    const auth = await bearerFor(chorus, ['viewer']);
    let writing = true;
    const failures: string[] = [];
    let reads = 0;
    const agent = await bearerFor(chorus, ['agent']);
    const writer = (async () => {
      while (writing) {
        const [id] = await submit(chorus, 1);
        // Totals move down as well as up: a status change takes one from `open`.
        const changed = await post(chorus, `/v1/feedback/${id}/status`, { status: 'in_progress' }, agent);
        if (changed.status !== 200) failures.push(`status change: ${changed.status}`);
      }
    })();
    const reader = (async () => {
      while (writing) {
        for (const path of ['/v1/feedback?limit=50', '/v1/feedback/stats']) {
          const response = await fetch(`${chorus.url}${path}`, { headers: auth });
          reads++;
          if (response.status !== 200) failures.push(`${path}: ${response.status} ${await response.text()}`);
        }
      }
    })();
    const outcome = await chorus.system.rebuilds.run('feedback');
    writing = false;
    await Promise.all([writer, reader]);
    t.is(outcome.status, 'completed');
    t.is(outcome.generation, 1);
    t.true(reads > 0);
    t.deepEqual(failures, [], 'no query failed during the rebuild and the swap');
    await submit(chorus, 5);
    await settled(chorus);
    const afterRebuild = await verify(chorus);
    t.deepEqual({ ...afterRebuild, examples: afterRebuild.examples.length }, { projection: 'feedback', missing: 0, extra: 0, different: 0, examples: 0 });
    const live = await chorus.system.database.db.selectFrom('projections').selectAll().where('name', '=', 'feedback').executeTakeFirstOrThrow();
    t.like(live, { generation: 1, previous_generation: 0 });
    const count = async () => Number((await sql<{ n: string }>`select count(*) as n from feedback`.execute(chorus.system.database.db)).rows[0]!.n);
    const events = await chorus.system.store.countEvents({ categories: ['feedback'], types: ['FeedbackSubmitted'] });
    t.is(await count(), events, 'one row per submitted feedback');

    // Rollback: the previous build catches up with what was written since the swap, then is live again.
    await submit(chorus, 3);
    const back = await chorus.system.rebuilds.rollback('feedback');
    t.is(back.generation, 0);
    await settled(chorus);
    t.is(await count(), events + 3);
    const afterRollback = await verify(chorus);
    t.is(afterRollback.missing + afterRollback.extra + afterRollback.different, 0, JSON.stringify(afterRollback.examples));
    // And forward again, then the previous build is dropped.
    await chorus.system.rebuilds.rollback('feedback');
    t.true(await chorus.system.rebuilds.dropPrevious('feedback'));
    t.false(await chorus.system.rebuilds.dropPrevious('feedback'));
    await t.throwsAsync(chorus.system.rebuilds.rollback('feedback'), { message: /no previous build/ });
    const schemas = await sql<{ name: string }>`select nspname as name from pg_namespace where nspname like 'chorus_%'`.execute(chorus.system.database.db);
    t.deepEqual(schemas.rows, [], 'no build schema left behind');
  }, {}, false, true);

  it('rebuilds an empty store, and events of the projection one in ten thousand', async (t, chorus) => {
    const empty = await chorus.system.rebuilds.run('feedback');
    t.like(empty, { status: 'completed', processed: 0 });
    // 20,000 events of other categories around two feedback submissions.
    for (let i = 0; i < 200; i++) {
      await chorus.system.store.append(freshStream('noise'), newEvents(100, 'Noise'), { expectedRevision: 'no_stream' });
      if (i === 50 || i === 150) await submit(chorus, 1);
    }
    await settled(chorus);
    const sparse = await chorus.system.rebuilds.run('feedback');
    // Each submission and its AI categorisation.
    t.like(sparse, { status: 'completed', processed: await chorus.system.store.countEvents({ categories: ['feedback'] }) });
    t.is(sparse.processed, 4);
    const rows = await chorus.system.database.db.selectFrom('feedback').select('id').execute();
    t.is(rows.length, 2);
    const verification = await verify(chorus);
    t.is(verification.missing + verification.extra + verification.different, 0);
  });

  it('dead-letters a poison event and goes on; the letter moves to the live consumer with the swap', async (t, chorus) => {
    await submit(chorus, 5);
    const poisonId = uuidv7();
    // Data the projection cannot store (no text): stored by a buggy writer of old.
    await chorus.system.store.append(
      feedbackStreamId(poisonId),
      [{ eventId: uuidv7(), type: 'FeedbackSubmitted', data: { feedbackId: poisonId, text: null, rating: 9, source: null, customerId: null, submittedAt: new Date().toISOString() }, metadata }],
      { expectedRevision: 'no_stream' },
    );
    await submit(chorus, 5);
    await settled(chorus);
    const outcome = await chorus.system.rebuilds.run('feedback');
    t.like(outcome, { status: 'completed', processed: await chorus.system.store.countEvents({ categories: ['feedback'] }) });
    const letters = await chorus.system.database.db.selectFrom('dead_letters').select(['consumer', 'stream_id', 'status']).where('stream_id', '=', feedbackStreamId(poisonId)).where('consumer', 'like', 'projection.%').execute();
    t.deepEqual(
      letters.map((letter) => letter.consumer).sort(),
      ['projection.feedback', 'projection.feedback#0'],
      "the rebuilt build's letter is the live one now; the old build keeps its own",
    );
    const rebuild = await chorus.system.database.db.selectFrom('projection_rebuilds').selectAll().where('projection', '=', 'feedback').executeTakeFirstOrThrow();
    t.like(rebuild, { status: 'completed', generation: 1 });
    t.truthy(rebuild.last_error, 'the failure is shown, not hidden');
    t.is((await chorus.system.database.db.selectFrom('feedback').select('id').execute()).length, 10);
  }, { CHORUS_PROJECTION_MAX_ATTEMPTS: '1' });

  it('refuses a second rebuild of the same projection while one runs, naming its holder', async (t, chorus) => {
    await submit(chorus, 30);
    await settled(chorus);
    const first = await chorus.system.rebuilds.start('feedback');
    const error = await t.throwsAsync(chorus.system.rebuilds.start('feedback'), { instanceOf: RebuildRunning });
    t.regex(error!.message, /pid \d+/);
    t.like(await first.finished, { status: 'completed' });
    t.like(await chorus.system.rebuilds.run('feedback'), { status: 'completed', generation: 2 }, 'free again once it ended');
  });

  it('verify finds a row changed, one deleted and one added behind the projection\'s back', async (t, chorus) => {
    const [changed, deleted] = await submit(chorus, 4);
    await categorized(chorus, 4);
    await settled(chorus);
    const { db } = chorus.system.database;
    await db.updateTable('feedback').set({ text: 'tampered' }).where('id', '=', changed!).execute();
    await db.deleteFrom('feedback').where('id', '=', deleted!).execute();
    await sql`insert into feedback_counts (dimension, key, count) values ('status', 'bogus', 7)`.execute(db);
    const verification = await verify(chorus);
    t.like(verification, { missing: 1, extra: 1, different: 1 });
    const kinds = verification.examples.map((example) => `${example.table}:${example.kind}`).sort();
    t.deepEqual(kinds, ['feedback:different', 'feedback:missing', 'feedback_counts:extra']);
    const tampered = verification.examples.find((example) => example.kind === 'different')!;
    t.deepEqual(tampered.key, { id: changed });
    t.like(tampered.actual, { text: 'tampered' });
  });

  it('a verification whose process died reads as failed, and the next one drops its scratch schemas', async (t, chorus) => {
    await submit(chorus, 3);
    await settled(chorus);
    const { db } = chorus.system.database;
    // What a process killed midway leaves: its row still running, its scratch schemas, and no lock held.
    const dead = uuidv7();
    await db.insertInto('projection_verifications').values({ id: dead, projection: 'feedback', status: 'running', missing: 0, extra: 0, different: 0, examples: '[]', error: null, started_at: new Date(), finished_at: null }).execute();
    const scratch = `chorus_verify_${dead.replaceAll('-', '')}`;
    await sql`create schema ${sql.id(`${scratch}_expected`)}`.execute(db);
    await sql`create schema ${sql.id(`${scratch}_actual`)}`.execute(db);
    await sql`create table ${sql.id(`${scratch}_actual`, 'feedback')} (id text)`.execute(db);
    const answer = await chorus.system.verifications.get(dead.toUpperCase());
    t.like(answer, { id: dead, status: 'failed', error: 'The process running this verification stopped before it finished; start it again' });

    // One that runs is left alone (its lock is held), and reads as running until it ends.
    const running = await chorus.system.verifications.start(chorus.system.rebuilds.projection('feedback'));
    const seen = await chorus.system.verifications.get(running);
    t.true(seen!.status === 'running' || seen!.status === 'completed', seen!.status);
    let finished = seen;
    while (finished?.status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      finished = await chorus.system.verifications.get(running);
    }
    t.like(finished, { status: 'completed', equal: true });
    const left = await sql<{ name: string }>`select nspname as name from pg_namespace where nspname like 'chorus_verify_%'`.execute(db);
    t.deepEqual(left.rows, [], 'the scratch schemas of the dead verification are dropped, and those of the finished one');
  });

  it('a projection whose version in code is above the live build is rebuilt when a projector starts (auto)', async (t, chorus, restart) => {
    await submit(chorus, 10);
    await settled(chorus);
    // As if the live build were made by version 0, whose rows the new code would not make.
    await chorus.system.database.db.updateTable('projections').set({ version: 0 }).where('name', '=', 'feedback').execute();
    await chorus.system.database.db.deleteFrom('feedback').execute();
    const restarted = await restart();
    const { db } = restarted.system.database;
    for (let attempt = 0; attempt < 1500; attempt++) {
      const row = await db.selectFrom('projections').select('version').where('name', '=', 'feedback').executeTakeFirstOrThrow();
      if (row.version === feedbackProjection.version) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    t.like(await db.selectFrom('projections').select(['version', 'generation']).where('name', '=', 'feedback').executeTakeFirstOrThrow(), { version: feedbackProjection.version, generation: 1 });
    t.is((await db.selectFrom('feedback').select('id').execute()).length, 10);
  }, {}, true);

  it('with CHORUS_REBUILD_ON_VERSION_CHANGE=manual, a changed version waits for an operator', async (t, chorus, restart) => {
    await submit(chorus, 3);
    await settled(chorus);
    await chorus.system.database.db.updateTable('projections').set({ version: 0 }).where('name', '=', 'feedback').execute();
    const restarted = await restart();
    await submit(restarted, 1);
    await settled(restarted);
    t.like(await restarted.system.database.db.selectFrom('projections').select(['version', 'generation']).where('name', '=', 'feedback').executeTakeFirstOrThrow(), { version: 0, generation: 0 });
  }, { CHORUS_REBUILD_ON_VERSION_CHANGE: 'manual' }, true);
}
