// The 100k-event log that the read and catch-up benchmarks share: 25,000 pieces of feedback, each submitted,
// categorized, taken up and resolved, its four events appended together (a fast seed that keeps them adjacent).
import type { NewEvent } from '../../application/ports/event-store.js';
import { FEEDBACK_CATEGORIES, SENTIMENTS, feedbackStreamId } from '../../domain/feedback/events.js';
import { metadata, newEvent } from '../support/events.js';
import { upcasting } from '../support/upcasting.js';
import type { StoreUnderTest } from './store-under-test.js';

export const FEEDBACK_LOG_EVENTS = 100_000;
const EVENTS_PER_FEEDBACK = 4;
const SEED_WRITERS = 16;

export function feedbackHistory(n: number): { streamId: string; events: NewEvent[] } {
  const feedbackId = crypto.randomUUID();
  const day = new Date(Date.UTC(2026, 10, 1 + (n % 30), 9, 0, n % 60)).toISOString();
  const later = new Date(Date.parse(day) + 3_600_000).toISOString();
  return {
    streamId: feedbackStreamId(feedbackId),
    events: [
      {
        ...newEvent('FeedbackSubmitted', {
          feedbackId,
          text: `Feedback ${n}: exporting a report to CSV does nothing on the second try`,
          rating: (n % 5) + 1,
          channel: n % 2 === 0 ? 'web' : 'ios',
          appVersion: n % 2 === 0 ? null : '2.3.1',
          customerId: `customer-${n % 1000}`,
          submittedAt: day,
        }),
        metadata: { ...metadata, schema: upcasting.currentSchema('FeedbackSubmitted') },
      },
      newEvent('FeedbackCategorized', {
        feedbackId,
        category: FEEDBACK_CATEGORIES[n % FEEDBACK_CATEGORIES.length],
        sentiment: SENTIMENTS[n % SENTIMENTS.length],
        confidence: 0.8,
        provider: 'local',
      }),
      newEvent('FeedbackStatusChanged', { feedbackId, from: 'open', to: 'in_progress', note: null, changedAt: later }),
      newEvent('FeedbackStatusChanged', { feedbackId, from: 'in_progress', to: 'resolved', note: 'Fixed in 2.4', changedAt: later }),
    ],
  };
}

/** Appends the whole log through `store` (best on connections that do not wait for each commit's flush). */
export async function seedFeedbackLog(store: StoreUnderTest): Promise<void> {
  const feedbackCount = FEEDBACK_LOG_EVENTS / EVENTS_PER_FEEDBACK;
  let next = 0;
  await Promise.all(
    Array.from({ length: SEED_WRITERS }, async () => {
      for (let n = next++; n < feedbackCount; n = next++) {
        const { streamId, events } = feedbackHistory(n);
        await store.append(streamId, events, 'no_stream');
      }
    }),
  );
}
