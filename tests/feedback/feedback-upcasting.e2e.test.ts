// Feedback the code before schema 2 stored (FeedbackSubmitted with a free-text source) read by a running Chorus: its
// commands, its projection fed by the store's subscription, reads of the log and dead-letter retries all see schema 2,
// while new feedback is stored at schema 2. On PGlite, and on PostgreSQL when DATABASE_URL is set.
import test from 'ava';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { startRoles, type RunningChorus } from '../../api/main.js';
import { changeFeedbackStatus, submitFeedback } from '../../application/feedback/feedback-commands.js';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import { feedbackStreamId } from '../../domain/feedback/events.js';
import { loadConfig } from '../../infrastructure/config.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { insertDeadLetter, listDeadLetters, retryDeadLetter } from '../../projections/dead-letters.js';
import { getFeedback, type FeedbackView } from '../../projections/feedback/feedback-queries.js';
import { serverTestDatabase } from '../support/databases.js';
import { collect } from '../support/events.js';
import { TEST_CONFIG } from '../support/http-specification.js';
import { serviceUrl } from '../support/services.js';
import { submittedAtSchema1 } from './feedback-sources.js';

type Environment = () => Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;

const databaseUrl = serviceUrl('DATABASE_URL', 'old feedback events on PostgreSQL');

const variants: readonly [string, Environment][] = [
  ['PGlite', async () => ({ env: {}, cleanup: async () => undefined })],
  ...(databaseUrl === undefined
    ? []
    : [
        [
          'PostgreSQL',
          async () => {
            const db = await serverTestDatabase(databaseUrl);
            await db.database.close(); // the system opens its own pool on the new database
            return { env: { DATABASE_URL: db.url! }, cleanup: db.drop };
          },
        ] as [string, Environment],
      ]),
];

const context = { correlationId: 'upcasting', causationId: null, actor: { sub: 'test', roles: ['agent'] } };

/** The view once the projection has applied the stream up to `revision`; a bound on tries, not a timing under test. */
async function projected(chorus: RunningChorus, id: string, revision: number): Promise<FeedbackView> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const view = await getFeedback(chorus.system.database.db, id);
    if (view !== undefined && view.revision >= revision) return view;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`feedback ${id} was never projected to revision ${revision}`);
}

for (const [name, environment] of variants) {
  let chorus: RunningChorus | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  /** The store as the code before schema 2 wrote it, on the same database: no upcasters. */
  let oldCode: EventStore;

  test.before(async () => {
    const prepared = await environment();
    cleanup = prepared.cleanup;
    const config = loadConfig({ ...TEST_CONFIG, CHORUS_POLL_INTERVAL_MS: '50', ...prepared.env });
    chorus = await startRoles(config, pino({ level: 'silent' }), { roles: ['projector'] });
    oldCode = new PostgresEventStore(chorus.system.database, { pollIntervalMs: 50 });
  });
  test.after.always(async () => {
    await chorus?.stop();
    await cleanup?.();
  });

  test.serial(`${name}: old feedback reads at schema 2 from its stream and the log, takes a status change, and is projected so`, async (t) => {
    const { system } = chorus!;
    const id = uuidv7();
    const stream = feedbackStreamId(id);
    await oldCode.append(stream, [submittedAtSchema1(id, 'android/1.4.0')], { expectedRevision: 'no_stream' });

    const [fromStream] = await collect(system.store.readStream(stream));
    t.is(fromStream!.metadata.schema, 2);
    t.deepEqual(fromStream!.data, { feedbackId: id, text: 'Export fails', rating: 2, customerId: null, submittedAt: '2026-11-20T09:30:00.000Z', channel: 'android', appVersion: '1.4.0' });
    const fromLog = (await collect(system.store.readAll({ categories: ['feedback'] }))).find((event) => event.streamId === stream);
    t.deepEqual(fromLog, fromStream);

    const commands = { store: system.store, ids: system.ids, clock: system.clock, upcasting: system.upcasting };
    const changed = await changeFeedbackStatus(commands, id, { status: 'in_progress', note: 'Reproduced' }, context);
    t.is(changed.revision, 1);
    const stored = await collect(oldCode.readStream(stream));
    t.deepEqual(stored.map((event) => [event.type, event.metadata.schema]), [['FeedbackSubmitted', 1], ['FeedbackStatusChanged', 1]], 'the old event stays as it was stored');
    t.like(await projected(chorus!, id, 1), { channel: 'android', appVersion: '1.4.0', source: 'android 1.4.0', status: 'in_progress' });
  });

  test.serial(`${name}: new feedback is stored at schema 2`, async (t) => {
    const { system } = chorus!;
    const commands = { store: system.store, ids: system.ids, clock: system.clock, upcasting: system.upcasting };
    const { id } = await submitFeedback(commands, { text: 'New', rating: null, channel: 'ios', appVersion: '2.3.1', customerId: null }, context);
    const [stored] = await collect(oldCode.readStream(feedbackStreamId(id)));
    t.is(stored!.metadata.schema, 2);
    t.like(stored!.data, { channel: 'ios', appVersion: '2.3.1' });
    t.false(Object.hasOwn(stored!.data as object, 'source'));
  });

  test.serial(`${name}: a dead letter parked at schema 1 is redelivered at schema 2`, async (t) => {
    const { system } = chorus!;
    const db = system.database.db;
    const id = uuidv7();
    const parked: RecordedEvent = { ...submittedAtSchema1(id, 'ios 2.3.1'), streamId: feedbackStreamId(id), revision: 0, position: '1' };
    await insertDeadLetter(db, 'projection.feedback', parked, 'boom', 3);
    const [letter] = (await listDeadLetters(db, { consumer: 'projection.feedback', status: 'open', limit: 100 })).items.filter((item) => item.streamId === parked.streamId);
    await retryDeadLetter(db, system.deadLetterConsumers, letter!.id);
    t.like(await getFeedback(db, id), { channel: 'ios', appVersion: '2.3.1', source: 'ios 2.3.1' });
  });
}
