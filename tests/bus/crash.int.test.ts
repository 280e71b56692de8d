// Crash test: while events flow, the relay and the projector processes are killed with SIGKILL at random
// moments and started again. Afterwards every row and every running total of the read model must equal a
// clean rebuild from the event store: nothing missing, nothing counted twice.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { changeFeedbackStatus, submitFeedback } from '../../application/feedback/feedback-commands.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { countedAs, evolve, type FeedbackRow } from '../../projections/feedback/feedback-projection.js';
import { collect } from '../support/events.js';
import { serverTestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { upcasting } from '../support/upcasting.js';
import { TEST_JWT_SECRET } from '../support/http-specification.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'relay and projector crash test');
const brokers = serviceUrl('KAFKA_BROKERS', 'relay and projector crash test');

const FEEDBACK = 120;
const KILLS_PER_ROLE = 5;

if (databaseUrl !== undefined && brokers !== undefined) {
  test('kill -9 of the relay and the projector at random moments loses nothing and applies nothing twice', async (t) => {
    t.timeout(300_000);
    const db = await serverTestDatabase(databaseUrl);
    const env = {
      ...process.env,
      DATABASE_URL: db.url!,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: testTopicPrefix(),
      KAFKA_TOPIC_PARTITIONS: '3',
      CHORUS_POLL_INTERVAL_MS: '100',
      CHORUS_PROJECTION_BATCH_SIZE: '25',
      PORT: '0',
      LOG_LEVEL: 'error',
      CHORUS_JWT_SECRET: TEST_JWT_SECRET,
    };
    const store = new PostgresEventStore(db.database, { pollIntervalMs: 100 });
    const children = new Set<ChildProcess>();
    const start = (role: 'relay' | 'projector'): { child: ChildProcess; exited: Promise<void> } => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'api/cli/chorus.ts', 'run', role], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      children.add(child);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve(void children.delete(child))));
      return { child, exited };
    };
    const killed = { relay: 0, projector: 0 };
    /** Starts the role, kills it with SIGKILL after a random 0.5 to 4 s, again and again. */
    const crashLoop = async (role: 'relay' | 'projector'): Promise<void> => {
      for (let n = 0; n < KILLS_PER_ROLE; n++) {
        const { child, exited } = start(role);
        await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 3500));
        if (child.kill('SIGKILL')) killed[role]++;
        await exited;
      }
    };
    try {
      const deps = { store, ids: uuidV7Ids, clock: systemClock, upcasting };
      const context = { correlationId: 'crash-test', causationId: null, actor: { sub: 'test', roles: [] } };
      const writing = (async () => {
        const ids: string[] = [];
        for (let n = 0; n < FEEDBACK; n++) {
          ids.push((await submitFeedback(deps, { text: `crash ${n}`, rating: (n % 5) + 1, channel: null, appVersion: null, customerId: null }, context)).id);
          // Change earlier feedback too, so streams grow while earlier events are in flight.
          const earlier = ids[Math.floor(Math.random() * ids.length)]!;
          await changeFeedbackStatus(deps, earlier, { status: n % 2 === 0 ? 'in_progress' : 'resolved', note: null }, context).catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 40));
        }
      })();
      await Promise.all([writing, crashLoop('relay'), crashLoop('projector')]);
      t.is(killed.relay, KILLS_PER_ROLE);
      t.is(killed.projector, KILLS_PER_ROLE);

      // Let one relay and one projector run to the end, then compare with a clean rebuild.
      start('relay');
      start('projector');
      const expected = await cleanRebuild(store);
      let actual = await readModel(db);
      for (let attempt = 0; attempt < 600 && !sameModel(actual, expected); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        actual = await readModel(db);
      }
      t.is(expected.rows.length, FEEDBACK);
      t.deepEqual(actual.rows, expected.rows, 'every row equals the rebuild');
      t.deepEqual(actual.counts, expected.counts, 'every running total equals the rebuild: nothing counted twice');
      const streams = await db.database.db.selectFrom('projection_streams').select(['stream_id', 'revision']).where('projection', '=', 'feedback').execute();
      t.is(streams.length, FEEDBACK);
      t.deepEqual(
        await db.database.db.selectFrom('dead_letters').selectAll().execute(),
        [],
        'nothing was parked',
      );
    } finally {
      for (const child of children) child.kill('SIGKILL');
      await db.drop();
    }
  });
}

type Model = { rows: FeedbackRow[]; counts: { dimension: string; key: string; count: number }[] };

/** The read model as the projection's own pure code computes it from the whole log. */
async function cleanRebuild(store: PostgresEventStore): Promise<Model> {
  const events: RecordedEvent[] = await collect(store.readAll({ categories: ['feedback'] }));
  const rows = new Map<string, FeedbackRow | null>();
  for (const event of events) {
    const id = (event.data as { feedbackId: string }).feedbackId;
    rows.set(id, evolve(rows.get(id) ?? null, event));
  }
  const counts = new Map<string, { dimension: string; key: string; count: number }>();
  for (const row of rows.values()) {
    if (row === null) continue;
    for (const [dimension, key] of countedAs(row)) {
      const entry = counts.get(`${dimension}:${key}`) ?? { dimension, key, count: 0 };
      entry.count++;
      counts.set(`${dimension}:${key}`, entry);
    }
  }
  return normalise([...rows.values()].filter((row): row is FeedbackRow => row !== null), [...counts.values()]);
}

async function readModel(db: Awaited<ReturnType<typeof serverTestDatabase>>): Promise<Model> {
  const rows = await db.database.db.selectFrom('feedback').selectAll().execute();
  const counts = await db.database.db.selectFrom('feedback_counts').selectAll().execute();
  return normalise(rows, counts.map((c) => ({ dimension: c.dimension, key: c.key, count: Number(c.count) })).filter((c) => c.count !== 0));
}

function normalise(rows: FeedbackRow[], counts: Model['counts']): Model {
  return {
    rows: [...rows].sort((a, b) => a.id.localeCompare(b.id)),
    counts: [...counts].sort((a, b) => `${a.dimension}:${a.key}`.localeCompare(`${b.dimension}:${b.key}`)),
  };
}

const sameModel = (a: Model, b: Model): boolean => isDeepStrictEqual(a, b);
