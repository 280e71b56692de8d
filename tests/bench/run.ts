// Benchmarks: print figures, assert nothing. `npm run bench` (PGlite), with DATABASE_URL also the server.
// Measures appends (one event per append, 1 and 8 writers; 100-event appends), reading the log, and how
// fast the feedback projection catches up.
import { pino } from 'pino';
import { submitFeedback } from '../../application/feedback/feedback-commands.js';
import type { EventStore } from '../../application/ports/event-store.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { InProcessBus } from '../../infrastructure/bus/inprocess/inprocess-bus.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import { newEvents } from '../support/events.js';
import { embeddedTestDatabase, serverTestDatabase, type TestDatabase } from '../support/databases.js';

const rate = (count: number, ms: number): string => `${Math.round((count / ms) * 1000).toLocaleString('en')} /s`;

async function timed(label: string, count: number, work: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  console.log(`  ${label.padEnd(48)} ${String(count).padStart(6)} in ${ms.toFixed(0).padStart(6)} ms  ${rate(count, ms).padStart(10)}`);
}

async function bench(name: string, testDb: TestDatabase): Promise<void> {
  console.log(`\n${name}`);
  const store: EventStore = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
  const appends = 2000;
  await timed('append 1 event, 1 writer', appends, async () => {
    for (let n = 0; n < appends; n++) await store.append(`bench-${n % 200}`, newEvents(1), { expectedRevision: 'any' });
  });
  await timed('append 1 event, 8 writers', appends, async () => {
    await Promise.all(
      Array.from({ length: 8 }, async (_, writer) => {
        for (let n = 0; n < appends / 8; n++) await store.append(`bench-w${writer}-${n % 50}`, newEvents(1), { expectedRevision: 'any' });
      }),
    );
  });
  await timed('append 100 events per append (events)', 20_000, async () => {
    for (let n = 0; n < 200; n++) await store.append(`bench-batch-${n}`, newEvents(100), { expectedRevision: 'no_stream' });
  });
  let read = 0;
  await timed('read the whole log (events)', 24_000, async () => {
    for await (const _ of store.readAll()) read++;
  });
  if (read !== 24_000) console.log(`  (read ${read} events)`);

  const feedback = 3000;
  const deps = { store, ids: uuidV7Ids, clock: systemClock };
  const context = { correlationId: 'bench', causationId: null, actor: { sub: 'bench', roles: [] } };
  await timed('submit feedback through the command handler', feedback, async () => {
    for (let n = 0; n < feedback; n++) await submitFeedback(deps, { text: `bench ${n}`, rating: (n % 5) + 1, source: null, customerId: null }, context);
  });
  const logger = pino({ level: 'silent' });
  const applier = new ProjectionApplier(testDb.database.db, store, feedbackProjection, logger, {
    maxAttempts: 3,
    retryMinMs: 10,
    retryMaxMs: 100,
    isTransient: () => false,
  });
  const head = (await store.headPosition())!;
  await timed('feedback projection catches up (feedback events)', feedback, async () => {
    const controller = new AbortController();
    const running = new InProcessBus(store, logger, 500).run(applier, controller.signal);
    while ((await applier.resumeFrom()) !== head) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await running;
  });
  const memory = process.memoryUsage();
  console.log(`  heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB`);
}

const embedded = await embeddedTestDatabase();
try {
  await bench('PGlite (embedded)', embedded);
} finally {
  await embedded.drop();
}
if (process.env.DATABASE_URL) {
  const server = await serverTestDatabase(process.env.DATABASE_URL, { poolMax: 10 });
  try {
    await bench(`PostgreSQL server`, server);
  } finally {
    await server.drop();
  }
}
