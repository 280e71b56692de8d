// X-Chorus-Min-Position waits over HTTP, on a real server on an ephemeral port: a client that goes away ends
// its wait, the waits at once are bounded, and on PGlite a wait asks the database again only when its
// projection moves in this process. Timeouts and fallback intervals are a minute, so any answer a test gets
// came from what it checks, never from a timer running out. Serial: the tests count the server's waits.
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { startAll, type RunningChorus } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import { serverTestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';
import { statementCounter } from '../support/statement-counter.js';
import { pretendStoredUpTo, UNREACHED } from '../support/unreached-position.js';

type Profile = Readonly<{ name: 'embedded' | 'postgres'; env(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> }>;

type Reply = { status: number; headers: Headers; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any shape

const MINUTE_MS = '60000';
/** A position no test ever reaches: its wait lasts until the client, or the cap, ends it. */
const NEVER = UNREACHED;
const MIN_POSITION = 'X-Chorus-Min-Position';

/** Unless `honest`, the store says the log holds NEVER (see unreached-position.ts), so that reads may wait for it. */
async function start(env: Record<string, string>, { honest = false } = {}): Promise<RunningChorus> {
  const config = loadConfig({
    ...TEST_CONFIG,
    CHORUS_MIN_POSITION_TIMEOUT_MS: MINUTE_MS,
    CHORUS_POLL_INTERVAL_MS: MINUTE_MS,
    CHORUS_MAX_POSITION_WAITS: '1',
    ...env,
  });
  const chorus = await startAll(config, pino({ level: 'silent' }));
  if (!honest) pretendStoredUpTo(chorus.system.store, NEVER);
  return chorus;
}

/** Reads go as a viewer; a submission goes anonymous, as anyone may submit feedback. */
async function call(chorus: RunningChorus, path: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Reply> {
  const credentials = init.method === 'POST' ? {} : await bearerFor(chorus, ['viewer']);
  const response = await fetch(`${chorus.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...credentials, ...headers } });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, headers: response.headers, body: type.includes('json') && text !== '' ? JSON.parse(text) : text };
}

/** A read that waits for `position` until `abort` is called; the promise settles once the client has given up. */
function waitingRead(chorus: RunningChorus, position: string): { reply: Promise<Reply | 'aborted'>; abort(): void } {
  const controller = new AbortController();
  const reply = call(chorus, '/v1/feedback', { [MIN_POSITION]: position }, { signal: controller.signal }).catch((error: unknown) => {
    if (controller.signal.aborted) return 'aborted' as const;
    throw error;
  });
  return { reply, abort: () => controller.abort() };
}

/** Resolves once `condition` holds; a bound on tries, not a timing under test. */
async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 2000; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never happened: ${what}`);
}

/** Counts the queries of requests on the database that serves their reads, from now until `restore`. */
function countReadQueries(chorus: RunningChorus): { count(): number; restore(): void } {
  const { readers } = chorus.system;
  const choose = readers.choose;
  const counter = statementCounter();
  readers.choose = () => {
    const target = choose.call(readers);
    return { ...target, db: target.db.withPlugin(counter.plugin) };
  };
  return { count: counter.count, restore: () => void (readers.choose = choose) };
}

/** Submits feedback and waits until the read model holds it categorized: nothing more follows from it. */
async function submitSettled(chorus: RunningChorus): Promise<{ id: string; position: string }> {
  const body = JSON.stringify({ text: 'The export button does nothing', rating: 2 });
  const created = await call(chorus, '/v1/feedback', {}, { method: 'POST', body });
  await eventually(async () => {
    const read = await call(chorus, `/v1/feedback/${created.body.id}`, { 'X-Chorus-Consistency': 'strong' });
    return read.status === 200 && read.body.category !== null;
  }, 'feedback categorized');
  return { id: created.body.id, position: created.body.position };
}

function readYourWritesSuite(profile: Profile): void {
  let chorus: RunningChorus;
  let cleanup: () => Promise<void>;

  test.before(async () => {
    const prepared = await profile.env();
    cleanup = prepared.cleanup;
    chorus = await start(prepared.env);
  });
  test.after.always(async () => {
    await chorus?.stop();
    await cleanup?.();
  });

  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);

  if (profile.name === 'embedded') {
    it('on PGlite, a wait whose projection makes no progress asks the database nothing until a batch is announced', async (t) => {
      const { progress } = chorus.system;
      const queries = countReadQueries(chorus);
      const read = waitingRead(chorus, NEVER);
      try {
        await eventually(() => progress.waiting === 1, 'the read waits');
        const before = { queries: queries.count(), batches: progress.batches(feedbackProjection.name) };
        progress.announce('another-projection');
        // A window in which a polling wait would ask several times; the fallback look is a minute away.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const asked = queries.count() - before.queries;
        const announced = progress.batches(feedbackProjection.name) - before.batches;
        t.true(asked <= announced, `${asked} look(s) at the database for ${announced} batch(es) of its projection`);

        const beforeNews = queries.count();
        progress.announce(feedbackProjection.name);
        await eventually(() => queries.count() > beforeNews, 'a look after the news');
        t.is(progress.waiting, 1, 'not there yet, so it waits on');
      } finally {
        read.abort();
        queries.restore();
      }
      t.is(await read.reply, 'aborted');
      await eventually(() => progress.waiting === 0, 'the wait ends');
    });
  }

  it('a wait wakes when the projection of this process applies the write', async (t) => {
    const { progress, store } = chorus.system;
    // The next event the log takes lies at or past this, whichever stream it is for.
    const next = String(BigInt((await store.headPosition()) ?? '0') + 1n);
    const read = waitingRead(chorus, next);
    await eventually(() => progress.waiting === 1, 'the read waits');
    const batches = progress.batches(feedbackProjection.name);
    await submitSettled(chorus);
    const reply = await read.reply;
    t.not(reply, 'aborted');
    t.is((reply as Reply).status, 200);
    t.true(progress.batches(feedbackProjection.name) > batches, 'the projection announced its batches');
    t.is(progress.waiting, 0);
  });

  it('a wait whose client disconnects stops waiting', async (t) => {
    const { progress } = chorus.system;
    const queries = countReadQueries(chorus);
    const read = waitingRead(chorus, NEVER);
    try {
      await eventually(() => progress.waiting === 1, 'the read waits');
      read.abort();
      t.is(await read.reply, 'aborted');
      await eventually(() => progress.waiting === 0, 'the wait ends with its client');
      t.is(progress.sleeping, 0);
      const after = queries.count();
      progress.announce(feedbackProjection.name);
      await new Promise((resolve) => setImmediate(resolve));
      t.is(queries.count(), after, 'nobody looks at the database for it any more');
    } finally {
      read.abort();
      queries.restore();
    }
    const still = await call(chorus, '/v1/feedback');
    t.is(still.status, 200, 'the server goes on answering');
  });

  it('over the cap, a read that would wait answers 503 TOO_MANY_WAITS at once; one already there answers 200', async (t) => {
    const { progress } = chorus.system;
    const settled = await submitSettled(chorus);
    const read = waitingRead(chorus, NEVER);
    try {
      await eventually(() => progress.waiting === 1, 'the first read takes the only place');
      const refused = await call(chorus, '/v1/feedback', { [MIN_POSITION]: NEVER });
      t.is(refused.status, 503);
      t.is(refused.headers.get('retry-after'), '1');
      t.is(refused.headers.get('content-type'), 'application/problem+json');
      t.is(refused.body.code, 'READ_MODEL.TOO_MANY_WAITS');
      t.is(progress.waiting, 1, 'the first read still waits');
      const there = await call(chorus, `/v1/feedback/${settled.id}`, { [MIN_POSITION]: settled.position });
      t.is(there.status, 200, 'a write already applied needs no place to wait');
    } finally {
      read.abort();
    }
    t.is(await read.reply, 'aborted');
    await eventually(() => progress.waiting === 0, 'the place is given back');
  });
}

readYourWritesSuite({ name: 'embedded', env: async () => ({ env: { CHORUS_DATA_DIR: 'memory://' }, cleanup: async () => undefined }) });

const databaseUrl = serviceUrl('DATABASE_URL', 'read-your-writes on PostgreSQL');
if (databaseUrl !== undefined) {
  readYourWritesSuite({
    name: 'postgres',
    env: async () => {
      const db = await serverTestDatabase(databaseUrl);
      await db.database.close(); // the system opens its own pool on the new database
      return { env: { DATABASE_URL: db.url! }, cleanup: db.drop };
    },
  });
}

test.serial('CHORUS_MAX_POSITION_WAITS=0: a read that would wait answers 503 TOO_MANY_WAITS at once', async (t) => {
  const chorus = await start({ CHORUS_DATA_DIR: 'memory://', CHORUS_MAX_POSITION_WAITS: '0' });
  try {
    const refused = await call(chorus, '/v1/feedback', { [MIN_POSITION]: NEVER });
    t.is(refused.status, 503);
    t.is(refused.body.code, 'READ_MODEL.TOO_MANY_WAITS');
    t.is(refused.headers.get('retry-after'), '1');
    t.is(chorus.system.progress.waiting, 0);
  } finally {
    await chorus.stop();
  }
});

test.serial('a position past every event stored answers 400 UNKNOWN_POSITION at once, without a place to wait', async (t) => {
  const chorus = await start({ CHORUS_DATA_DIR: 'memory://' }, { honest: true });
  try {
    const read = waitingRead(chorus, NEVER);
    const reply = await read.reply;
    t.not(reply, 'aborted');
    t.like(reply, { status: 400, body: { code: 'REQUEST.UNKNOWN_POSITION' } });
    t.is(chorus.system.progress.waiting, 0);
    await submitSettled(chorus); // nothing more follows from it, so the newest event stays where it is
    const newest = (await chorus.system.store.newestPosition())!;
    const next = String(BigInt(newest) + 1n);
    t.like(await call(chorus, '/v1/feedback', { [MIN_POSITION]: next }), { status: 400, body: { code: 'REQUEST.UNKNOWN_POSITION' } }, 'one past the newest');
    t.like(await call(chorus, '/v1/feedback', { [MIN_POSITION]: newest }), { status: 200 }, 'the newest itself');
  } finally {
    await chorus.stop();
  }
});

test.serial('a wait that runs out answers 503 NOT_CAUGHT_UP and is logged as a warning, not an error', async (t) => {
  const lines: { level: number; msg: string; err?: { message?: string } }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  const config = loadConfig({ ...TEST_CONFIG, CHORUS_DATA_DIR: 'memory://', CHORUS_MIN_POSITION_TIMEOUT_MS: '50' });
  const chorus = await startAll(config, logger);
  const restore = pretendStoredUpTo(chorus.system.store, NEVER);
  try {
    const reply = await call(chorus, '/v1/feedback', { [MIN_POSITION]: NEVER });
    t.like(reply, { status: 503, body: { code: 'READ_MODEL.NOT_CAUGHT_UP' } });
    const failed = lines.filter((line) => line.msg === 'request failed');
    t.is(failed.length, 1);
    t.is(failed[0]!.level, 40, 'warn');
    t.false(lines.some((line) => line.level >= 50), 'nothing at error level');
  } finally {
    restore();
    await chorus.stop();
  }
});
