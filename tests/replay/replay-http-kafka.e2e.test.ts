// Replays over HTTP to Kafka: the relay's envelope and headers again, to a context's topic or to one of the
// deployment's event topics, and a clear failure for events no topic takes. A real server with a relay and a broker.
import { upcasting } from '../support/upcasting.js';
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { createKafka } from '../../infrastructure/bus/kafka/kafka.js';
import { fromMessage, toMessage } from '../../infrastructure/bus/kafka/kafka-messages.js';
import { collect, metadata } from '../support/events.js';
import { HttpSpecification, type Reply } from '../support/http-specification.js';
import { consumeUntil, testTopicPrefix, type Received } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';

const brokers = serviceUrl('KAFKA_BROKERS', 'replays over HTTP to Kafka');

if (brokers !== undefined) {
  const prefix = testTopicPrefix();
  const http = HttpSpecification({ config: { KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, KAFKA_TOPIC_PARTITIONS: '2' }, as: ['operator'] });
  const { call, when } = http;
  const kafka = createKafka(brokers.split(','), 'replay-http-test', pino({ level: 'silent' }));

  async function settled(t: ExecutionContext, started: Reply): Promise<Reply> {
    t.is(started.status, 202, JSON.stringify(started.body));
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const reply = await call('GET', `/v1/ops/replays/${started.body.id}`);
      if (reply.body.status !== 'running') return reply;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('the replay never finished');
  }
  const headersOf = ({ message }: Received) => Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
  const storeId = () => http.chorus().system.topology.storeId;

  test.serial('a replay to Kafka sends each event again as the relay sent it: same key, envelope and headers', async (t) => {
    for (const text of ['Export is broken', 'Love the dashboard']) await call('POST', '/v1/feedback', { json: { text }, as: 'anonymous' });
    const submitted = (await collect(http.chorus().system.store.readAll({ types: ['FeedbackSubmitted'] }))) as RecordedEvent[];
    t.is(submitted.length, 2);
    const done = await settled(t, await call('POST', '/v1/ops/replays', { json: { target: 'kafka', types: ['FeedbackSubmitted'] } }));
    t.like(done.body, { status: 'completed', target: 'kafka', processed: 2, total: 2, errors: [] });
    const ids = new Set(submitted.map((event) => event.eventId));
    const ours = (messages: Received[]) => messages.filter(({ message }) => ids.has(fromMessage(message, upcasting)?.eventId ?? ''));
    // The relay's copy and the replay's: two of each, alike in every byte that matters.
    const received = ours(await consumeUntil(kafka, [`${prefix}.feedback`], (messages) => ours(messages).length >= 4));
    for (const event of submitted) {
      const copies = received.filter(({ message }) => fromMessage(message, upcasting)!.eventId === event.eventId);
      const wanted = toMessage(event, storeId());
      t.is(copies.length, 2, event.eventId);
      for (const copy of copies) {
        t.is(copy.message.key?.toString(), event.streamId);
        t.is(copy.message.value?.toString(), wanted.value as string);
        t.deepEqual(headersOf(copy), wanted.headers);
      }
      t.is(copies[0]!.partition, copies[1]!.partition, 'keyed by stream: the same partition');
    }
  });

  test.serial('a topic named is one of the event topics; events no context owns go only to a named one', async (t) => {
    const stream = `ping-${uuidv7()}`;
    await http.chorus().system.store.append(stream, [0, 1, 2].map((n) => ({ eventId: uuidv7(), type: 'Pinged', data: { n }, metadata })), { expectedRevision: 'no_stream' });
    const events = await collect(http.chorus().system.store.readStream(stream));

    await when('POST', '/v1/ops/replays', { json: { target: 'kafka', topic: 'chorus.feedback', streams: [stream] } }).then(t, { status: 400, code: 'REPLAY.UNKNOWN_TOPIC' });
    await when('POST', '/v1/ops/replays', { json: { target: 'kafka', topic: `${prefix}.dlq`, streams: [stream] } }).then(t, { status: 400, code: 'REPLAY.UNKNOWN_TOPIC' });

    const failed = await settled(t, await call('POST', '/v1/ops/replays', { json: { target: 'kafka', streams: [stream] } }));
    t.like(failed.body, { status: 'failed', processed: 0, total: 3 });
    t.deepEqual(failed.body.errors, [`REPLAY.NO_TOPIC: No context owns the category of ${stream}, so it has no topic: name the topic to replay it to`]);

    const done = await settled(t, await call('POST', '/v1/ops/replays', { json: { target: 'kafka', topic: `${prefix}.identity`, streams: [stream] } }));
    t.like(done.body, { status: 'completed', topic: `${prefix}.identity`, processed: 3, total: 3 });
    const received = (await consumeUntil(kafka, [`${prefix}.identity`], (messages) => messages.filter(({ message }) => message.key?.toString() === stream).length >= 3)).filter(
      ({ message }) => message.key?.toString() === stream,
    );
    t.deepEqual(received.map(({ message }) => fromMessage(message, upcasting)), JSON.parse(JSON.stringify(events)), 'each once, in order');
    t.deepEqual(received.map(headersOf), events.map((event) => toMessage(event, storeId()).headers));
  });
}
