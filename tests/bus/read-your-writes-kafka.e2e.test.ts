// Read-your-writes on Kafka means "everything up to p": a client that wrote to several aggregates, on
// different partitions, and reads an aggregate of them (stats) with its last position must see every write,
// even when one partition's consumer lags behind the others.
import test from 'ava';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { pino } from 'pino';
import { startRoles, type RunningChorus } from '../../api/main.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { KafkaBus } from '../../infrastructure/bus/kafka/kafka-bus.js';
import { withAdmin } from '../../infrastructure/bus/kafka/kafka.js';
import { loadConfig } from '../../infrastructure/config.js';
import type { EventConsumer, Progress } from '../../projections/event-consumer.js';
import { feedbackProjection } from '../../projections/feedback/feedback-projection.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';

const suite = 'read-your-writes on Kafka';
const databaseUrl = serviceUrl('DATABASE_URL', suite);
const brokers = serviceUrl('KAFKA_BROKERS', suite);

const PARTITIONS = 3;
const HELD = 0;
const MIN_POSITION = 'X-Chorus-Min-Position';

/** Passes batches on, except those of one partition, which wait until `release` is called. */
class HoldingConsumer implements EventConsumer {
  readonly name: string;
  readonly categories: readonly string[];
  readonly health: EventConsumer['health'];
  readonly recordsWatermarks = true;
  private released!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.released = resolve));

  constructor(
    private readonly inner: ProjectionApplier,
    private readonly held: number,
  ) {
    this.name = inner.name;
    this.categories = inner.categories;
    this.health = inner.health;
  }

  release(): void {
    this.released();
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  resumeFrom(): ReturnType<EventConsumer['resumeFrom']> {
    return this.inner.resumeFrom();
  }

  recordedOffset(topic: string, partition: number): Promise<string | null> {
    return this.inner.recordedOffset(topic, partition);
  }

  async process(events: readonly RecordedEvent[], progress: Progress, signal: AbortSignal): Promise<void> {
    if (progress.kind === 'offsets' && progress.partitions.some(({ partition }) => partition === this.held)) await this.gate;
    return this.inner.process(events, progress, signal);
  }
}

/** The partition kafkajs's default partitioner gives a stream's events (the relay's producer uses it). */
function partitionOf(streamId: string): number {
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return Partitioners.DefaultPartitioner()({ topic: 'any', partitionMetadata, message: { key: streamId, value: null } });
}

if (databaseUrl !== undefined && brokers !== undefined) {
  let db: TestDatabase;
  let chorus: RunningChorus;

  test.before(async () => {
    db = await serverTestDatabase(databaseUrl);
    const config = loadConfig({
      ...TEST_CONFIG,
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url!,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: testTopicPrefix(),
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      CHORUS_MIN_POSITION_TIMEOUT_MS: '60000',
    });
    // The API and the relay; the projector is the test's own, so that it can hold one partition back.
    chorus = await startRoles(config, pino({ level: 'silent' }), { roles: ['api', 'relay'] });
  });
  test.after.always(async () => {
    await chorus?.stop();
    await db?.drop();
  });

  const post = async (text: string): Promise<{ id: string; position: string }> => {
    const response = await fetch(`${chorus.url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, rating: 4 }) });
    if (response.status !== 201) throw new Error(`POST /v1/feedback answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as { id: string; position: string };
  };

  test('stats read with the last position of writes on several partitions wait for the lagging one and count them all', async (t) => {
    const { system } = chorus;
    const logger = pino({ level: 'silent' });
    const applier = new ProjectionApplier(system.database.db, system.store, feedbackProjection, logger, {
      maxAttempts: 3,
      retryMinMs: 10,
      retryMaxMs: 100,
      isTransient: () => false,
      onBatchApplied: (name) => system.progress.announce(name),
    });
    const holding = new HoldingConsumer(applier, HELD);
    const controller = new AbortController();
    // One consumer per partition, as separate processes would run them: kafkajs fetches a broker's partitions
    // together, so within one consumer a held partition would hold the others too.
    const consuming = Array.from({ length: PARTITIONS }, () => new KafkaBus(system.kafka!, system.topology, system.upcasting, logger, system.metrics, 100).run(holding, controller.signal));
    const groupId = system.topology.groupIdOf(holding.name);
    const stable = async (): Promise<boolean> =>
      withAdmin(system.kafka!, async (admin) => {
        const { groups } = await admin.describeGroups([groupId]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === PARTITIONS;
      });
    for (let attempt = 0; attempt < 300 && !(await stable()); attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      t.true(await stable(), 'each partition has a consumer of its own');
      // Writes until one landed on the held partition, the last one on another, and at least four in all.
      const writes: { id: string; position: string; partition: number }[] = [];
      for (let n = 0; n < 60; n++) {
        const created = await post(`write ${n}`);
        writes.push({ ...created, partition: partitionOf(`feedback-${created.id}`) });
        const heldOnes = writes.filter((write) => write.partition === HELD).length;
        if (writes.length >= 4 && heldOnes > 0 && writes[writes.length - 1]!.partition !== HELD) break;
      }
      const last = writes[writes.length - 1]!;
      t.not(last.partition, HELD, 'the last write is on a partition that keeps up');
      t.true(writes.some((write) => write.partition === HELD), 'an earlier write is on the held partition');

      // The last write's own stream is applied: judged by its stream alone, the read would answer now.
      const streamApplied = async (): Promise<boolean> =>
        (await system.database.db
          .selectFrom('projection_streams')
          .select('revision')
          .where('projection', '=', 'feedback')
          .where('stream_id', '=', `feedback-${last.id}`)
          .executeTakeFirst()) !== undefined;
      for (let attempt = 0; attempt < 600 && !(await streamApplied()); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
      t.true(await streamApplied(), "the last write's stream is applied while the held partition is not");

      let settled = false;
      const viewer = await bearerFor(chorus, ['viewer']);
      const read = fetch(`${chorus.url}/v1/feedback/stats`, { headers: { ...viewer, [MIN_POSITION]: last.position } }).then(async (response) => {
        settled = true;
        return { status: response.status, body: (await response.json()) as { total: number } };
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      t.false(settled, 'the read waits while a partition holding an earlier write lags');
      const heldBack = await system.appliedPosition(system.database.db, feedbackProjection);
      t.true(heldBack === null || BigInt(heldBack) < BigInt(last.position), 'the applied position is held back by the lagging partition');

      holding.release();
      const answer = await read;
      t.is(answer.status, 200);
      t.is(answer.body.total, writes.length, 'every write is counted, the lagging partition\'s too');
      const applied = await system.appliedPosition(system.database.db, feedbackProjection);
      t.true(applied !== null && BigInt(applied) >= BigInt(last.position));
    } finally {
      holding.release();
      controller.abort();
      await Promise.all(consuming);
    }
  });
}
