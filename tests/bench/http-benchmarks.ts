// The full stack over HTTP: every role in one process, on PostgreSQL (started in this process with startRoles)
// and on the embedded profile (`chorus start` as a child process, whose peak RSS is measured too).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startRoles } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import { serverTestDatabase } from '../support/databases.js';
import { startBareKoa } from './bare-koa.js';
import { bearerSignedWith } from '../support/tokens.js';
import { BENCH_AUTH_CONFIG, BENCH_JWT_SECRET, benchBearer, loggedProblems, peakResidentMegabytes, startChorusProcess } from './chorus-process.js';
import { cpuDetails, watchCpu, type CpuShare } from './cpu-share.js';
import type { Details, Figure } from './figures.js';
import { generateLoad, type LoadResult } from './http-load.js';
import { progress } from './progress.js';

const CONNECTIONS = 50;
const VOTERS_AT_ONCE = 16;
const VOTES = 5000;
const WARM_UP_SECONDS = 2;
const LOAD_SECONDS = 10;

/** Each load's result, and where the machine's CPU went meanwhile (the server's process: `serverPid`). */
type Load = Readonly<{ submit: LoadResult; read: LoadResult; submitCpu: CpuShare | undefined; readCpu: CpuShare | undefined }>;

export async function postgresHttpFigures(serverUrl: string): Promise<Figure[]> {
  progress('HTTP reference: Koa and @koa/router alone, in this process');
  const bare = await startBareKoa();
  let reference: Load;
  try {
    reference = await submitThenRead(bare.url, 'reference', process.pid, async () => undefined);
  } finally {
    await bare.stop();
  }
  const testDb = await serverTestDatabase(serverUrl);
  // Chorus opens its own pool on the new database; this one only creates and drops it.
  await testDb.database.close();
  const logDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-bench-http-'));
  const logFile = path.join(logDir, 'chorus.log');
  const logger = pino({ level: 'warn' }, pino.destination({ dest: logFile, sync: true }));
  try {
    const config = loadConfig({ ...BENCH_AUTH_CONFIG, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: testDb.url! });
    progress(`HTTP PostgreSQL: every role in this process, pool of ${config.databasePoolMax}`);
    const chorus = await startRoles(config, logger);
    let load: Load;
    let voting: Figure;
    let feed: Figure;
    try {
      load = await submitThenRead(chorus.url, 'PostgreSQL', process.pid);
      voting = await votesPerSecond(chorus.url, 'PostgreSQL');
      feed = await feedReadsPerSecond(chorus.url, 'PostgreSQL');
    } finally {
      await chorus.stop();
    }
    return [
      ...httpFigures('PostgreSQL', `, ${CONNECTIONS} connections`, load, await keepLogIfFailed(logFile, logDir), reference),
      voting,
      feed,
      ...referenceFigures(reference),
    ];
  } finally {
    await testDb.drop();
  }
}

export async function embeddedFigures(): Promise<Figure[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-bench-embedded-'));
  const logDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-bench-embedded-log-'));
  try {
    progress(`embedded: starting \`chorus start\`, data in ${dataDir}`);
    const chorus = await startChorusProcess(['start'], { CHORUS_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, logDir);
    let load: Load;
    let peakRss: number;
    try {
      load = await submitThenRead(chorus.url, 'embedded', chorus.pid);
      peakRss = await peakResidentMegabytes(chorus.pid);
    } finally {
      await chorus.stop();
    }
    return [
      ...httpFigures('embedded', '', load, await keepLogIfFailed(chorus.logFile, logDir)),
      { name: 'embedded chorus start peak RSS', unit: 'MB', chorus: { value: peakRss, details: { measured: 'VmHWM after the HTTP load', of: chorus.entry } } },
    ];
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function submitThenRead(url: string, profile: string, serverPid: number, caughtUp: (url: string) => Promise<void> = untilConsumersCaughtUp): Promise<Load> {
  progress(`HTTP ${profile}: warming up (${WARM_UP_SECONDS} s of POST)`);
  const warmUp = await generateLoad({ url, kind: 'submit', connections: CONNECTIONS, seconds: WARM_UP_SECONDS });
  progress(`HTTP ${profile}: POST /v1/feedback, ${CONNECTIONS} connections, ${LOAD_SECONDS} s`);
  const submitWatch = watchCpu([serverPid]);
  const submit = await generateLoad({ url, kind: 'submit', connections: CONNECTIONS, seconds: LOAD_SECONDS });
  const submitCpu = submitWatch.stop();
  progress(`HTTP ${profile}: waiting for the projections and enrichers to catch up`);
  await caughtUp(url);
  const ids = [...warmUp.ids, ...submit.ids];
  progress(`HTTP ${profile}: GET /v1/feedback/:id as a viewer over ${ids.length} ids, ${CONNECTIONS} connections, ${LOAD_SECONDS} s`);
  // Anyone may submit; reading takes a viewer's token (the bare Koa reference gets it too, and ignores it).
  const headers = await benchBearer(['viewer']);
  const readWatch = watchCpu([serverPid]);
  const read = await generateLoad({ url, kind: 'read', connections: CONNECTIONS, seconds: LOAD_SECONDS, ids, headers });
  return { submit, read, submitCpu, readCpu: readWatch.stop() };
}

/**
 * POST /v1/polls/:id/votes, VOTES votes on one poll by as many voters, VOTERS_AT_ONCE at a time: each vote a first
 * append to a stream of its own (no_stream), after a read of the poll's stream. Once the projections caught up, the
 * poll's tally must equal the votes accepted; the details say whether it did.
 */
async function votesPerSecond(url: string, profile: string): Promise<Figure> {
  const member = await benchBearer(['member']);
  const created = await fetch(`${url}/v1/polls`, {
    method: 'POST',
    headers: { ...member, 'content-type': 'application/json' },
    body: JSON.stringify({ question: 'Benchmark: which option?', options: ['One', 'Two', 'Three', 'Four'] }),
  });
  if (created.status !== 201) throw new Error(`creating the benchmark's poll answered ${created.status}`);
  const { id, position } = (await created.json()) as { id: string; position: string };
  const poll = (await (await fetch(`${url}/v1/polls/${id}`, { headers: { ...member, 'X-Chorus-Min-Position': position } })).json()) as { options: { id: string }[] };
  progress(`HTTP ${profile}: POST /v1/polls/:id/votes, ${VOTES} distinct voters, ${VOTERS_AT_ONCE} at a time`);
  const result = await generateLoad({
    url,
    kind: 'vote',
    connections: VOTERS_AT_ONCE,
    seconds: 0,
    votes: { pollId: id, optionIds: poll.options.map((option) => option.id), jwtSecret: BENCH_JWT_SECRET, count: VOTES },
  });
  await untilConsumersCaughtUp(url);
  const results = (await (await fetch(`${url}/v1/polls/${id}/results`, { headers: member })).json()) as { totalVotes: number };
  const accepted = VOTES - result.non2xx - result.errors;
  return {
    name: `votes per second (distinct voters, ${VOTERS_AT_ONCE} concurrent), ${profile}`,
    unit: 'req/s',
    chorus: {
      value: result.requestsPerSecond,
      details: { 'p50 ms': result.p50Ms, 'p99 ms': result.p99Ms, errors: result.errors, 'non-2xx': result.non2xx, tally: results.totalVotes, 'tally exact': results.totalVotes === accepted },
    },
  };
}

/** Authors whose polls a feed reader follows, and polls by each. */
const FEED_AUTHORS = 20;
const FEED_POLLS_PER_AUTHOR = 10;

/**
 * GET /v1/feed?limit=20 by one reader who follows FEED_AUTHORS authors of FEED_POLLS_PER_AUTHOR polls each (and
 * checks the first page holds twenty of their polls), CONNECTIONS connections for LOAD_SECONDS.
 */
async function feedReadsPerSecond(url: string, profile: string): Promise<Figure> {
  progress(`HTTP ${profile}: ${FEED_AUTHORS} authors of ${FEED_POLLS_PER_AUTHOR} polls each, followed by one reader`);
  const register = async (n: number): Promise<string> => {
    const reply = await fetch(`${url}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bench-feed-${n}-${Date.now()}@example.test`, password: 'a benchmark password', displayName: `Author ${n}` }),
    });
    if (reply.status !== 201) throw new Error(`registering a feed author answered ${reply.status}`);
    return ((await reply.json()) as { id: string }).id;
  };
  const reader = await bearerSignedWith(BENCH_JWT_SECRET, ['member'], await register(-1));
  let last = '';
  for (let a = 0; a < FEED_AUTHORS; a++) {
    const author = await register(a);
    const headers = { ...(await bearerSignedWith(BENCH_JWT_SECRET, ['member'], author)), 'content-type': 'application/json' };
    for (let p = 0; p < FEED_POLLS_PER_AUTHOR; p++) {
      const created = await fetch(`${url}/v1/polls`, { method: 'POST', headers, body: JSON.stringify({ question: `Poll ${p} of author ${a}?`, options: ['Yes', 'No'] }) });
      if (created.status !== 201) throw new Error(`creating a feed poll answered ${created.status}`);
    }
    const followed = await fetch(`${url}/v1/users/${author}/follow`, { method: 'POST', headers: reader });
    if (followed.status !== 200 && followed.status !== 201) throw new Error(`following a feed author answered ${followed.status}`);
    last = ((await followed.json()) as { position: string }).position;
  }
  const page = (await (await fetch(`${url}/v1/feed?limit=20`, { headers: { ...reader, 'X-Chorus-Min-Position': last } })).json()) as { items: unknown[] };
  if (page.items.length !== 20) throw new Error(`the feed's first page held ${page.items.length} polls, not 20`);
  await untilConsumersCaughtUp(url);
  progress(`HTTP ${profile}: GET /v1/feed?limit=20, ${CONNECTIONS} connections, ${LOAD_SECONDS} s`);
  const result = await generateLoad({ url, kind: 'get', path: '/v1/feed?limit=20', connections: CONNECTIONS, seconds: LOAD_SECONDS, headers: reader });
  return {
    name: `feed reads per second (${FEED_AUTHORS} followed authors, ${CONNECTIONS} connections), ${profile}`,
    unit: 'req/s',
    chorus: { value: result.requestsPerSecond, details: { 'p50 ms': result.p50Ms, 'p99 ms': result.p99Ms, errors: result.errors, 'non-2xx': result.non2xx } },
  };
}

function httpFigures(profile: string, connections: string, load: Load, logged: Readonly<{ errors: number; warnings: number }>, reference?: Load): Figure[] {
  const details = (result: LoadResult, cpu: CpuShare | undefined, bare?: LoadResult): Details => ({
    'p50 ms': result.p50Ms,
    'p99 ms': result.p99Ms,
    errors: result.errors,
    'non-2xx': result.non2xx,
    ...(bare === undefined || bare.requestsPerSecond === 0 ? {} : { 'of bare Koa': `${(result.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}×` }),
    ...cpuDetails(cpu, 'server'),
  });
  return [
    {
      name: `HTTP POST /v1/feedback, ${profile}${connections}`,
      unit: 'req/s',
      chorus: { value: load.submit.requestsPerSecond, details: { ...details(load.submit, load.submitCpu, reference?.submit), 'logged errors/warnings': `${logged.errors}/${logged.warnings}` } },
    },
    { name: `HTTP GET /v1/feedback/:id, ${profile}`, unit: 'req/s', chorus: { value: load.read.requestsPerSecond, details: details(load.read, load.readCpu, reference?.read) } },
  ];
}

/** The same loads against Koa and its router alone: what the machine allows that day (see bare-koa.ts). */
function referenceFigures(reference: Load): Figure[] {
  const details = (result: LoadResult, cpu: CpuShare | undefined): Details => ({ 'p50 ms': result.p50Ms, 'p99 ms': result.p99Ms, errors: result.errors, 'non-2xx': result.non2xx, ...cpuDetails(cpu, 'server') });
  return [
    { name: 'reference: HTTP POST, bare Koa + router, 50 connections', unit: 'req/s', chorus: { value: reference.submit.requestsPerSecond, details: details(reference.submit, reference.submitCpu) } },
    { name: 'reference: HTTP GET, bare Koa + router', unit: 'req/s', chorus: { value: reference.read.requestsPerSecond, details: details(reference.read, reference.readCpu) } },
  ];
}

/**
 * Every projection and enricher with nothing left to process, twice in a row: an enricher still working through
 * the POST phase would append while the GETs run, and every batch it causes drops the views kept for them.
 */
async function untilConsumersCaughtUp(url: string, timeoutMs = 180_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const operator = await benchBearer(['operator']);
  let idleChecks = 0;
  while (performance.now() < deadline) {
    const metrics = await (await fetch(`${url}/metrics`, { headers: operator })).text();
    const lags = [...metrics.matchAll(/^chorus_consumer_lag_events\{[^}]*\} (\d+)$/gm)].map((match) => Number(match[1]));
    const { items } = (await (await fetch(`${url}/v1/ops/projections`, { headers: operator })).json()) as { items: { lag: number }[] };
    const idle = lags.length > 0 && lags.every((lag) => lag === 0) && items.every((item) => item.lag === 0);
    idleChecks = idle ? idleChecks + 1 : 0;
    if (idleChecks === 2) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the projections and enrichers had not caught up ${timeoutMs / 1000} s after the load`);
}

/** What the server logged at warn and above; a log with errors is kept (and named on stderr), others removed. */
async function keepLogIfFailed(logFile: string, logDir: string): Promise<{ errors: number; warnings: number }> {
  const logged = await loggedProblems(logFile);
  if (logged.errors > 0) progress(`the server logged ${logged.errors} errors and ${logged.warnings} warnings: ${logFile}`);
  else await rm(logDir, { recursive: true, force: true });
  return logged;
}
