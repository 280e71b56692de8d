// The production topology in one process, on real services: API → store → relay → Kafka → projector and
// triage enricher → read model on the writer → streaming replica → API.
import test from 'ava';
import { pino } from 'pino';
import { contexts } from '../../api/contexts.js';
import { startRoles, type RunningChorus } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { replicaOf } from '../support/replica.js';
import { serviceUrl } from '../support/services.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';

const suite = 'pipeline on Kafka, replica and Redis';
const urls = {
  database: serviceUrl('DATABASE_URL', suite),
  replicas: serviceUrl('DATABASE_REPLICA_URLS', suite),
  kafka: serviceUrl('KAFKA_BROKERS', suite),
  redis: serviceUrl('REDIS_URL', suite),
};

if (urls.database && urls.replicas && urls.kafka && urls.redis) {
  let db: TestDatabase;
  let chorus: RunningChorus;
  /** Reads go as a viewer, the ops routes and metrics as an operator; anyone may submit. */
  let viewer: Record<string, string>;
  let operator: Record<string, string>;
  const prefix = testTopicPrefix();

  test.before(async () => {
    db = await serverTestDatabase(urls.database!);
    const replica = await replicaOf(db.url!, urls.replicas!.split(',')[0]!);
    const config = loadConfig({
      ...TEST_CONFIG,
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url!,
      DATABASE_REPLICA_URLS: replica,
      KAFKA_BROKERS: urls.kafka!,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: '3',
      REDIS_URL: urls.redis!,
      CHORUS_REPLICA_MAX_LAG_MS: '5000',
      CHORUS_MIN_POSITION_TIMEOUT_MS: '15000',
    });
    chorus = await startRoles(config, pino({ level: 'silent' }));
    [viewer, operator] = await Promise.all([bearerFor(chorus, ['viewer']), bearerFor(chorus, ['operator'])]);
    for (let attempt = 0; attempt < 200 && !chorus.system.readers.status().every((r) => r.healthy); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  test.after.always(async () => {
    await chorus?.stop();
    await db?.drop();
  });

  const call = async (method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}) => {
    const response = await fetch(`${chorus.url}${path}`, {
      method,
      headers: { ...(options.json === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
    });
    const text = await response.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of any shape
    const body: any = (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
    return { status: response.status, headers: response.headers, body };
  };

  /** Submits feedback and waits until the enricher's categorization has reached the replica the API reads. */
  const submitCategorized = async (json: unknown) => {
    const created = await call('POST', '/v1/feedback', { json });
    if (created.status !== 201) throw new Error(`submitting answered ${created.status}`);
    for (let attempt = 0; attempt < 600; attempt++) {
      const read = await call('GET', `/v1/feedback/${created.body.id}`, { headers: { ...viewer, 'X-Chorus-Min-Position': created.body.position } });
      if (read.status === 200 && read.body.category !== null) return read.body as { id: string; category: string };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`feedback ${created.body.id} was never categorized`);
  };

  test.serial('a submitted feedback comes back from the replica, read-your-writes, then categorized by the enricher', async (t) => {
    const created = await call('POST', '/v1/feedback', { json: { text: 'The app crashes every time I open settings', rating: 1 } });
    t.is(created.status, 201);
    const mine = await call('GET', `/v1/feedback/${created.body.id}`, { headers: { ...viewer, 'X-Chorus-Min-Position': created.body.position } });
    t.is(mine.status, 200, 'read-your-writes held on the replica');
    t.is(mine.headers.get('x-chorus-read-from'), 'replica');
    t.like(mine.body, { id: created.body.id, status: 'open' });

    let categorized = mine.body;
    for (let attempt = 0; attempt < 600 && categorized.category === null; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      categorized = (await call('GET', `/v1/feedback/${created.body.id}`, { headers: viewer })).body;
    }
    t.like(categorized, { category: 'crash', sentiment: 'negative', aiProvider: 'local' });
    t.true(categorized.confidence > 0 && categorized.confidence <= 1);

    // Newest first: other tests may have filed crashes of their own before this one.
    const crashes = await call('GET', '/v1/feedback?category=crash&sentiment=negative', { headers: viewer });
    t.is(crashes.body.items[0]?.id, created.body.id);
    t.true(crashes.body.items.every((item: { category: string; sentiment: string }) => item.category === 'crash' && item.sentiment === 'negative'));
    const strong = await call('GET', `/v1/feedback/${created.body.id}`, { headers: { ...viewer, 'X-Chorus-Consistency': 'strong' } });
    t.is(strong.headers.get('x-chorus-read-from'), 'writer');

    const rows = await db.database.db.selectFrom('projection_offsets').selectAll().where('projection', '=', 'feedback').execute();
    t.true(rows.length > 0, 'the projector recorded its Kafka offsets with its rows');

    const admin = chorus.system.kafka!.admin();
    await admin.connect();
    try {
      // One topic per hosted context module, and the dead letters'.
      const expected = [`${prefix}.dlq`, ...contexts.map((module) => `${prefix}.${module.name}`)].sort();
      // A fixed anchor: the list above comes from the same modules as the topology's own.
      for (const name of ['feedback', 'identity', 'polls', 'drafts', 'crm', 'diagrams']) t.true(expected.includes(`${prefix}.${name}`), name);
      t.deepEqual(chorus.system.topology.allTopics().sort(), expected);
      const { topics } = await admin.fetchTopicMetadata({ topics: expected });
      t.deepEqual(
        topics.map((topic) => [topic.name, topic.partitions.length]).sort(),
        expected.map((name) => [name, 3]),
        'created at start-up with KAFKA_TOPIC_PARTITIONS partitions',
      );
    } finally {
      await admin.disconnect();
    }
  });

  test.serial('stats are cached in Redis until the read model changes', async (t) => {
    const crashesBefore: number = (await call('GET', '/v1/feedback/stats', { headers: viewer })).body.byCategory.crash;
    await submitCategorized({ text: 'The app crashes every time I open my orders', rating: 1 });
    // The stats read the replica: read until they count the categorized crash.
    let first = await call('GET', '/v1/feedback/stats', { headers: viewer });
    for (let attempt = 0; attempt < 200 && first.body.byCategory.crash !== crashesBefore + 1; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      first = await call('GET', '/v1/feedback/stats', { headers: viewer });
    }
    t.is(first.body.byCategory.crash, crashesBefore + 1, 'the stats count what the enricher categorized');
    const second = await call('GET', '/v1/feedback/stats', { headers: viewer });
    t.is(second.headers.get('x-chorus-cache'), 'hit');
    t.deepEqual(second.body, first.body);

    const created = await call('POST', '/v1/feedback', { json: { text: 'Please add a dark mode', rating: 4 } });
    const after = await call('GET', '/v1/feedback/stats', { headers: { ...viewer, 'X-Chorus-Min-Position': created.body.position } });
    t.is(after.headers.get('x-chorus-cache'), 'miss', 'a new batch changed the key');
    t.is(after.body.total, first.body.total + 1);
  });

  test.serial('every role reports health, lag and metrics', async (t) => {
    // Something for every role to have done: the API took it, the relay sent it, the projector and the enricher used it.
    await submitCategorized({ text: 'Search results are wrong', rating: 2 });
    const ready = await call('GET', '/health/ready');
    t.is(ready.status, 200);
    t.like(ready.body.checks.workers, { relay: 'running', 'projection.feedback': 'running', 'enricher.feedback-triage': 'running' });
    t.is(ready.body.checks.replicas[0].healthy, true);
    t.is(ready.body.checks.ai[0].name, 'local');

    let lag = -1;
    for (let attempt = 0; attempt < 200 && lag !== 0; attempt++) {
      const { items } = (await call('GET', '/v1/ops/projections', { headers: operator })).body as { items: { name: string; lag: number }[] };
      lag = items.find((item) => item.name === 'feedback')!.lag;
      if (lag !== 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    t.is(lag, 0, 'the consumer group caught up');

    const metrics = (await call('GET', '/metrics', { headers: operator })).body as string;
    for (const name of [
      'chorus_events_appended_total{category="feedback"}',
      'chorus_relay_events_total',
      'chorus_consumer_lag_events{consumer="projection.feedback"} 0',
      'chorus_batch_duration_seconds_count{consumer="projection.feedback"}',
      'chorus_dead_letters_open',
      'chorus_ai_provider_calls_total{provider="local",outcome="success"}',
      'chorus_http_request_duration_seconds_count{method="POST",route="/v1/feedback",status="201"}',
    ]) {
      t.true(metrics.includes(name), name);
    }
  });
}
