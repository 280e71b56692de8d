// Decoding what the relay produced: a message relayed before an upcaster came reaches consumers at the current schema.
import test from 'ava';
import type { KafkaMessage, Message } from 'kafkajs';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { fromMessage, toMessage } from '../../infrastructure/bus/kafka/kafka-messages.js';
import { submittedAtSchema1 } from '../feedback/feedback-sources.js';
import { upcasting } from '../support/upcasting.js';

const feedbackId = '01a2041a-9df6-7589-a81b-b54b1095756f';

const recorded = (event: Omit<RecordedEvent, 'streamId' | 'revision' | 'position'>): RecordedEvent => ({ ...event, streamId: `feedback-${feedbackId}`, revision: 0, position: '42' });

/** A produced message as a consumer fetches it. */
const fetched = (message: Message): KafkaMessage => ({
  key: Buffer.from(message.key as string),
  value: Buffer.from(message.value as string),
  headers: message.headers ?? {},
  offset: '7',
  timestamp: '0',
  attributes: 0,
});

test('a FeedbackSubmitted relayed at schema 1 decodes at schema 2, its source parted into channel and app version', (t) => {
  const relayed = recorded(submittedAtSchema1(feedbackId, 'android/1.4.0'));
  const event = fromMessage(fetched(toMessage(relayed, 'store-1')), upcasting);
  t.deepEqual(event, {
    ...relayed,
    data: { feedbackId, text: 'Export fails', rating: 2, customerId: null, submittedAt: '2026-11-20T09:30:00.000Z', channel: 'android', appVersion: '1.4.0' },
    metadata: { ...relayed.metadata, schema: 2 },
  });
});

test('an event relayed at its current schema decodes as it was relayed', (t) => {
  const current = recorded({ ...submittedAtSchema1(feedbackId, null), type: 'FeedbackCategorized', data: { feedbackId, category: 'bug' } });
  t.deepEqual(fromMessage(fetched(toMessage(current, 'store-1')), upcasting), current);
});

test('a message that holds no envelope is still not an event', (t) => {
  t.is(fromMessage({ ...fetched(toMessage(recorded(submittedAtSchema1(feedbackId, null)), 'store-1')), value: Buffer.from('{"watermark":"42"}') }, upcasting), null);
});
