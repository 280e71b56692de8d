// The event store figures, Chorus beside Emmett: appends (new and existing streams, 8 and 16 writers, 100-event
// appends), reading the whole 100k-event log, and catching the feedback projection up on that log. Each store
// gets a fresh database on the same server and a pool of POOL_MAX connections; rounds alternate between them.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { NewEvent } from '../../application/ports/event-store.js';
import { openPostgres } from '../../infrastructure/db/database.js';
import { serverTestDatabase } from '../support/databases.js';
import { newEvents } from '../support/events.js';
import { chorusStore } from './chorus-store.js';
import { FEEDBACK_LOG_EVENTS, seedFeedbackLog } from './feedback-log.js';
import { fromRounds, skipped, type Figure, type Result } from './figures.js';
import type { ExpectedVersion, StoreUnderTest } from './store-under-test.js';
import { progress } from './progress.js';

const POOL_MAX = 10;
const ROUNDS = 3;
const APPEND_ROUND_MS = 3000;
const STREAMS_PER_WRITER = 20;
/** Emmett's projector handles one event at a time: its catch-up is measured over this long, not the whole log. */
const EMMETT_CATCH_UP_MS = 20_000;
const CHORUS_CATCH_UP_ROUNDS = 2;
const CATCH_UP_LIMIT_MS = 300_000;

type Scenario = Readonly<{ name: string; writers: number; eventsPerAppend: number; streams: 'new' | 'existing' }>;

const appendScenarios: readonly Scenario[] = [
  { name: 'append 1 event, new streams, 8 writers', writers: 8, eventsPerAppend: 1, streams: 'new' },
  { name: 'append 1 event, new streams, 16 writers', writers: 16, eventsPerAppend: 1, streams: 'new' },
  { name: 'append 1 event, existing streams, 8 writers', writers: 8, eventsPerAppend: 1, streams: 'existing' },
  { name: 'append 1 event, existing streams, 16 writers', writers: 16, eventsPerAppend: 1, streams: 'existing' },
  { name: 'append 100 events', writers: 1, eventsPerAppend: 100, streams: 'new' },
];
const MOST_WRITERS = Math.max(...appendScenarios.map((scenario) => scenario.writers));

type OpenStore = (databaseUrl: string, poolMax: number) => Promise<StoreUnderTest>;
/** Emmett's store, from its own package; or why there is none (it could not be installed). */
export type EmmettLoader = () => Promise<OpenStore | string>;

type Stores = Readonly<{
  chorus: StoreUnderTest;
  /** Emmett's store, or why it is not measured. */
  emmett: StoreUnderTest | string;
  /** Chorus, then Emmett when it is measured. */
  sides: readonly StoreUnderTest[];
  /** A second store on the same database whose commits do not wait for the disk: for seeding only. */
  seederOf(side: StoreUnderTest): Promise<StoreUnderTest>;
  /** The database of a side. */
  databaseOf(side: StoreUnderTest): string;
}>;

export async function appendFigures(serverUrl: string, loadEmmett: EmmettLoader): Promise<Figure[]> {
  return withStores(serverUrl, loadEmmett, async ({ chorus, emmett, sides }) => {
    // Streams that exist before the rounds: each writer appends to its own, so no append ever conflicts.
    const existing = new Map<StoreUnderTest, Map<string, ExpectedVersion>[]>();
    for (const side of sides) {
      progress(`append: warming up ${side.name} and creating its streams`);
      await appendRound(side, { name: 'warm-up', writers: MOST_WRITERS, eventsPerAppend: 1, streams: 'new' }, 1000, []);
      const perWriter = Array.from({ length: MOST_WRITERS }, () => new Map<string, ExpectedVersion>());
      for (const streams of perWriter) {
        for (let n = 0; n < STREAMS_PER_WRITER; n++) {
          const streamId = benchStream();
          streams.set(streamId, await side.append(streamId, newEvents(1), 'no_stream'));
        }
      }
      existing.set(side, perWriter);
    }
    const figures: Figure[] = [];
    for (const scenario of appendScenarios) {
      const rounds = new Map<StoreUnderTest, number[]>(sides.map((side) => [side, []]));
      for (let round = 1; round <= ROUNDS; round++) {
        for (const side of sides) {
          progress(`${scenario.name}: ${side.name}, round ${round} of ${ROUNDS}`);
          rounds.get(side)!.push(await appendRound(side, scenario, APPEND_ROUND_MS, existing.get(side)!));
        }
      }
      figures.push({
        name: scenario.name,
        unit: 'ev/s',
        chorus: fromRounds(rounds.get(chorus)!),
        emmett: typeof emmett === 'string' ? skipped(emmett) : fromRounds(rounds.get(emmett)!),
      });
    }
    return figures;
  });
}

export async function readFigures(serverUrl: string, loadEmmett: EmmettLoader): Promise<Figure[]> {
  return withStores(serverUrl, loadEmmett, async ({ chorus, emmett, sides, seederOf, databaseOf }) => {
    for (const side of sides) {
      progress(`read: appending the ${FEEDBACK_LOG_EVENTS.toLocaleString('en')}-event feedback log to ${side.name}`);
      const seeder = await seederOf(side);
      try {
        await seedFeedbackLog(seeder);
      } finally {
        await seeder.close();
      }
      // What autovacuum would have done by the time anyone reads a log this size: hint bits and statistics.
      await adminQuery(databaseOf(side), 'vacuum analyze');
    }

    const reads = new Map<StoreUnderTest, number[]>(sides.map((side) => [side, []]));
    const counts = new Map<StoreUnderTest, number>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const side of sides) {
        progress(`read the whole log: ${side.name}, round ${round} of ${ROUNDS}`);
        const started = performance.now();
        const read = await side.readAll();
        reads.get(side)!.push(perSecond(read, performance.now() - started));
        counts.set(side, read);
      }
    }
    // A count other than the log's is worth knowing: the reader skipped or repeated events.
    const readResult = (side: StoreUnderTest): Result =>
      fromRounds(reads.get(side)!, counts.get(side) === FEEDBACK_LOG_EVENTS ? undefined : { 'events read': counts.get(side)! });

    // Chorus catches up on the whole log; Emmett, a few round trips per event, only for EMMETT_CATCH_UP_MS.
    const catchUps = new Map<StoreUnderTest, number[]>(sides.map((side) => [side, []]));
    let emmettApplied = 0;
    for (const side of [chorus, ...sides.slice(1), ...Array.from({ length: CHORUS_CATCH_UP_ROUNDS - 1 }, () => chorus)]) {
      const limit = side === chorus ? CATCH_UP_LIMIT_MS : EMMETT_CATCH_UP_MS;
      progress(`projection catch-up: ${side.name}${side === chorus ? '' : `, for ${limit / 1000} s`}`);
      const started = performance.now();
      const applied = await side.catchUpFeedback(started + limit);
      catchUps.get(side)!.push(perSecond(applied, performance.now() - started));
      if (side !== chorus) emmettApplied = applied;
    }
    return [
      {
        name: `read the whole log (${FEEDBACK_LOG_EVENTS / 1000}k events)`,
        unit: 'ev/s',
        chorus: readResult(chorus),
        emmett: typeof emmett === 'string' ? skipped(emmett) : readResult(emmett),
      },
      {
        name: `projection catch-up from empty (${FEEDBACK_LOG_EVENTS / 1000}k events)`,
        unit: 'ev/s',
        chorus: fromRounds(catchUps.get(chorus)!),
        emmett:
          typeof emmett === 'string'
            ? skipped(emmett)
            : fromRounds(catchUps.get(emmett)!, { 'time-boxed s': EMMETT_CATCH_UP_MS / 1000, 'events applied': emmettApplied }),
      },
    ];
  });
}

/** Appends until `ms` have passed, every writer waiting for its append before the next; returns events per second. */
async function appendRound(store: StoreUnderTest, scenario: Scenario, ms: number, existing: readonly Map<string, ExpectedVersion>[]): Promise<number> {
  const started = performance.now();
  const deadline = started + ms;
  let appended = 0;
  await Promise.all(
    Array.from({ length: scenario.writers }, async (_, writer) => {
      const streams = scenario.streams === 'existing' ? existing[writer]! : undefined;
      const ids = streams === undefined ? [] : [...streams.keys()];
      for (let n = 0; performance.now() < deadline; n++) {
        const events: NewEvent[] = newEvents(scenario.eventsPerAppend);
        if (streams === undefined) {
          await store.append(benchStream(), events, 'no_stream');
        } else {
          const streamId = ids[n % ids.length]!;
          streams.set(streamId, await store.append(streamId, events, streams.get(streamId)!));
        }
        appended += events.length;
      }
    }),
  );
  return perSecond(appended, performance.now() - started);
}

async function withStores<T>(serverUrl: string, loadEmmett: EmmettLoader, work: (stores: Stores) => Promise<T>): Promise<T> {
  const chorusDb = await serverTestDatabase(serverUrl, { poolMax: POOL_MAX });
  const emmettDb = await emptyDatabase(serverUrl);
  const chorus = chorusStore(chorusDb);
  let emmett: StoreUnderTest | string = 'n/a';
  try {
    const openEmmett = await loadEmmett();
    emmett = typeof openEmmett === 'string' ? openEmmett : await openEmmett(emmettDb.url, POOL_MAX);
    const databaseOf = (side: StoreUnderTest): string => (side === chorus ? chorusDb.url! : emmettDb.url);
    const seederOf = async (side: StoreUnderTest): Promise<StoreUnderTest> => {
      const url = withoutFlushWait(databaseOf(side));
      if (side !== chorus && typeof openEmmett !== 'string') return openEmmett(url, POOL_MAX);
      const database = openPostgres(url, { poolMax: POOL_MAX });
      return chorusStore({ database, url, drop: () => database.close() });
    };
    const sides = typeof emmett === 'string' ? [chorus] : [chorus, emmett];
    return await work({ chorus, emmett, sides, seederOf, databaseOf });
  } finally {
    if (typeof emmett !== 'string') await emmett.close();
    await emmettDb.drop();
    await chorus.close();
  }
}

/** The same database on connections whose commits do not wait for the disk (`options` as libpq reads it). */
const withoutFlushWait = (databaseUrl: string): string =>
  `${databaseUrl}${databaseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c synchronous_commit=off')}`;

/** A new, empty database for Emmett, which creates its own schema. */
async function emptyDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_emmett_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(serverUrl, `drop database if exists ${name} with (force)`) };
}

async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

const benchStream = (): string => `bench-${crypto.randomUUID()}`;
const perSecond = (count: number, ms: number): number => (count / ms) * 1000;
