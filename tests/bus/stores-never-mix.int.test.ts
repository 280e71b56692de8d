// Two deployments that share a broker and a topic prefix (the default `chorus`, say) share its topics. Each
// read model must still hold its own store's events and nothing else: another store's messages, and messages
// that name no store at all, are skipped, counted and committed past.
import test from 'ava';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { submitFeedback } from '../../application/feedback/feedback-commands.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { KafkaBus } from '../../infrastructure/bus/kafka/kafka-bus.js';
import { HEADERS } from '../../infrastructure/bus/kafka/kafka-messages.js';
import { KafkaRelay } from '../../infrastructure/bus/kafka/kafka-relay.js';
import { consumerGroupLag, createKafka, ensureTopics, withAdmin } from '../../infrastructure/bus/kafka/kafka.js';
import { KafkaTopology } from '../../infrastructure/bus/kafka/kafka-topology.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { Metrics } from '../../infrastructure/metrics.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import { feedbackModule } from '../../projections/feedback/module.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import { collect } from '../support/events.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { upcasting } from '../support/upcasting.js';

const brokers = serviceUrl('KAFKA_BROKERS', 'stores never mix');
const databaseUrl = serviceUrl('DATABASE_URL', 'stores never mix');

const CONSUMER = `projection.${feedbackProjection.name}`;

/** One deployment: its own database (event store and read model), its relay and its feedback projector. */
type Deployment = Readonly<{
  db: TestDatabase;
  store: PostgresEventStore;
  topology: KafkaTopology;
  metrics: Metrics;
  submit(count: number): Promise<string[]>;
  run(signal: AbortSignal): Promise<void>[];
  /** Feedback ids in the read model. */
  readModel(): Promise<string[]>;
  /** Messages its bus skipped as coming from `source`. */
  skipped(source: string): Promise<number>;
  /** What its projector's consumer group has still to read. */
  lag(): Promise<number>;
}>;

async function deployment(serverUrl: string, kafka: Kafka, prefix: string, logger: Logger): Promise<Deployment> {
  const db = await serverTestDatabase(serverUrl);
  // The store's identity, as the composition root reads it.
  const { id: storeId } = await db.database.db.selectFrom('instance').select('id').executeTakeFirstOrThrow();
  const store = new PostgresEventStore(db.database, { pollIntervalMs: 50 });
  const topology = new KafkaTopology(prefix, [feedbackModule], storeId);
  const metrics = new Metrics();
  const applier = new ProjectionApplier(db.database.db, store, feedbackProjection, logger, {
    maxAttempts: 2,
    retryMinMs: 10,
    retryMaxMs: 20,
    isTransient: () => false,
  });
  const deps = { store, ids: uuidV7Ids, clock: systemClock, upcasting };
  const context = { correlationId: 'stores-never-mix', causationId: null, actor: { sub: 'test', roles: [] } };
  return {
    db,
    store,
    topology,
    metrics,
    async submit(count) {
      const ids: string[] = [];
      for (let n = 0; n < count; n++) {
        ids.push((await submitFeedback(deps, { text: `feedback ${n} of ${storeId}`, rating: 3, channel: null, appVersion: null, customerId: null }, context)).id);
      }
      return ids;
    },
    run: (signal) => [
      new KafkaRelay(db.database.db, store, kafka, topology, logger, metrics, 100).run(signal),
      new KafkaBus(kafka, topology, upcasting, logger, metrics, 50).run(applier, signal),
    ],
    readModel: async () => (await db.database.db.selectFrom('feedback').select('id').orderBy('id').execute()).map((row) => row.id),
    skipped: async (source) =>
      (await metrics.foreignMessages.get()).values.find((value) => value.labels.consumer === CONSUMER && value.labels.source === source)?.value ?? 0,
    lag: () => withAdmin(kafka, (admin) => consumerGroupLag(admin, topology.groupIdOf(CONSUMER), topology.topicsOf(feedbackProjection.categories))),
  };
}

if (brokers !== undefined && databaseUrl !== undefined) {
  test('two stores on one broker and one topic prefix each apply only their own events', async (t) => {
    t.timeout(180_000);
    const logger = pino({ level: 'silent' });
    const kafka = createKafka(brokers.split(','), 'stores-never-mix', logger);
    // Both deployments keep the same prefix, standing for the shared default.
    const prefix = testTopicPrefix();
    const a = await deployment(databaseUrl, kafka, prefix, logger);
    const b = await deployment(databaseUrl, kafka, prefix, logger);
    const controller = new AbortController();
    const running: Promise<void>[] = [];
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    try {
      await ensureTopics(kafka, a.topology.allTopics(), 3);

      const mine = { a: await a.submit(2), b: await b.submit(1) };
      // A well-formed feedback event naming no store, as something other than this Chorus would send it.
      // Readable once every transaction older than the appends has ended, on the whole server (gap safety).
      let [model] = await collect(a.store.readAll({ limit: 1 }));
      for (let waited = 0; model === undefined && waited < 10_000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        [model] = await collect(a.store.readAll({ limit: 1 }));
      }
      const orphanId = uuidv7();
      const orphan: RecordedEvent = {
        ...model!,
        eventId: uuidv7(),
        streamId: `feedback-${orphanId}`,
        data: { ...(model!.data as Record<string, unknown>), feedbackId: orphanId },
      };
      await producer.connect();
      await producer.send({
        topic: a.topology.topicOf('feedback')!,
        acks: -1,
        messages: [{ key: orphan.streamId, value: JSON.stringify(orphan), headers: { [HEADERS.type]: orphan.type, [HEADERS.eventId]: orphan.eventId } }],
      });

      running.push(...a.run(controller.signal), ...b.run(controller.signal));
      // Live events too, while both pipelines run.
      mine.a.push(...(await a.submit(1)));
      mine.b.push(...(await b.submit(1)));
      mine.a.sort();
      mine.b.sort();
      // One event per feedback (checked below): what each bus must count of the other store.
      const events = { a: mine.a.length, b: mine.b.length };

      const settled = async (): Promise<boolean> =>
        (await a.skipped(b.topology.storeId)) >= events.b &&
        (await b.skipped(a.topology.storeId)) >= events.a &&
        (await a.skipped('none')) >= 1 &&
        (await b.skipped('none')) >= 1 &&
        (await a.lag()) === 0 &&
        (await b.lag()) === 0 &&
        (await a.readModel()).length >= mine.a.length &&
        (await b.readModel()).length >= mine.b.length;
      for (let attempt = 0; attempt < 600 && !(await settled()); attempt++) await new Promise((resolve) => setTimeout(resolve, 100));

      t.is(await a.store.countEvents(), events.a);
      t.is(await b.store.countEvents(), events.b);
      t.deepEqual(await a.readModel(), mine.a, "A's read model holds exactly A's feedback");
      t.deepEqual(await b.readModel(), mine.b, "B's read model holds exactly B's feedback");
      t.is(await a.skipped(b.topology.storeId), events.b, "A's bus counted each of B's events as foreign");
      t.is(await b.skipped(a.topology.storeId), events.a, "B's bus counted each of A's events as foreign");
      t.is(await a.skipped('none'), 1, 'the message naming no store was skipped by A');
      t.is(await b.skipped('none'), 1, 'and by B');
      t.is(await a.lag(), 0, "A's group committed past every message, foreign ones included");
      t.is(await b.lag(), 0, "B's group too");
      t.deepEqual(a.topology.allTopics(), b.topology.allTopics(), 'the same topics');
      t.not(a.topology.groupIdOf(CONSUMER), b.topology.groupIdOf(CONSUMER), 'a consumer group per store');
    } finally {
      controller.abort();
      await Promise.allSettled(running);
      await producer.disconnect().catch(() => undefined);
      await a.db.drop();
      await b.db.drop();
    }
  });
}
