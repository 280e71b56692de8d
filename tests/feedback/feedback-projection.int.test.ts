// The feedback read model: given recorded events, the rows of feedback and feedback_counts, and the same rows
// when the events are applied again.
import test from 'ava';
import { v7 as uuidv7 } from 'uuid';
import {
  feedbackStreamId,
  type FeedbackCategorized,
  type FeedbackStatus,
  type FeedbackStatusChanged,
  type FeedbackSubmitted,
} from '../../domain/feedback/events.js';
import { feedbackProjection, type FeedbackRow } from '../../projections/feedback/feedback-projection.js';
import type { FeedbackCountsTable } from '../../projections/feedback/feedback-schema.js';
import { ProjectionSpecification, recordedEventLog } from '../support/projection-specification.js';

const spec = ProjectionSpecification(feedbackProjection, { feedback: ['id'], feedback_counts: ['dimension', 'key'] });

const submittedAt = '2026-11-20T09:30:00.000Z';

/** One piece of feedback's events, recorded in its own stream of a fresh log. */
function feedback(id = uuidv7(), log = recordedEventLog()) {
  const stream = feedbackStreamId(id);
  return {
    id,
    submitted: (data: Partial<FeedbackSubmitted['data']> = {}) =>
      log.record(stream, {
        type: 'FeedbackSubmitted',
        data: { feedbackId: id, text: 'Export fails', rating: 2, channel: 'ios', appVersion: '2.3.1', customerId: 'cust-1', submittedAt, ...data },
      } satisfies FeedbackSubmitted),
    statusChanged: (from: FeedbackStatus, to: FeedbackStatus, note: string | null = null, changedAt = '2026-11-21T08:00:00.000Z') =>
      log.record(stream, { type: 'FeedbackStatusChanged', data: { feedbackId: id, from, to, note, changedAt } } satisfies FeedbackStatusChanged),
    categorized: (data: Partial<FeedbackCategorized['data']> = {}) =>
      log.record(stream, {
        type: 'FeedbackCategorized',
        data: { feedbackId: id, category: 'bug', sentiment: 'negative', confidence: 0.75, provider: 'local', ...data },
      } satisfies FeedbackCategorized),
  };
}

/** The row a fresh submission of `feedback()` leaves. */
const openRow = (id: string): FeedbackRow => ({
  id,
  text: 'Export fails',
  rating: 2,
  channel: 'ios',
  app_version: '2.3.1',
  customer_id: 'cust-1',
  status: 'open',
  note: null,
  category: null,
  sentiment: null,
  confidence: null,
  ai_provider: null,
  revision: 0,
  submitted_at: new Date(submittedAt),
  updated_at: new Date(submittedAt),
});

const count = (dimension: FeedbackCountsTable['dimension'], key: string, n: number): FeedbackCountsTable => ({ dimension, key, count: n });

test('given a submission, then one open row, counted by status, rating and day', async (t) => {
  const one = feedback();
  await spec.given([one.submitted()]).then(t, {
    feedback: [openRow(one.id)],
    feedback_counts: [count('day', '2026-11-20', 1), count('rating', '2', 1), count('status', 'open', 1)],
  });
});

test('given an unrated submission, then no rating is counted', async (t) => {
  const one = feedback();
  await spec.given([one.submitted({ rating: null })]).then(t, {
    feedback: [{ ...openRow(one.id), rating: null }],
    feedback_counts: [count('day', '2026-11-20', 1), count('status', 'open', 1)],
  });
});

test('given a submission, when its status changes, then the row moves and the totals move with it', async (t) => {
  const one = feedback();
  await spec
    .given([one.submitted()])
    .when([one.statusChanged('open', 'resolved', 'Fixed in 2.4')])
    .then(t, {
      feedback: [{ ...openRow(one.id), status: 'resolved', note: 'Fixed in 2.4', revision: 1, updated_at: new Date('2026-11-21T08:00:00.000Z') }],
      // The open count went to zero: its row goes, as a build that saw both events in one batch would never write it.
      feedback_counts: [count('day', '2026-11-20', 1), count('rating', '2', 1), count('status', 'resolved', 1)],
    });
});

test('given a submission and its status change in one batch, then only the final status is counted', async (t) => {
  const one = feedback();
  await spec.given([one.submitted(), one.statusChanged('open', 'in_progress')]).then(t, {
    feedback_counts: [count('day', '2026-11-20', 1), count('rating', '2', 1), count('status', 'in_progress', 1)],
  });
});

test('given a submission, when it is categorized, then the row carries the reading and category and sentiment are counted', async (t) => {
  const one = feedback();
  await spec
    .given([one.submitted()])
    .when([one.categorized({ category: 'crash', sentiment: 'negative', confidence: 0.5, provider: 'gemini' })])
    .then(t, {
      feedback: [{ ...openRow(one.id), category: 'crash', sentiment: 'negative', confidence: 0.5, ai_provider: 'gemini', revision: 1 }],
      feedback_counts: [
        count('category', 'crash', 1),
        count('day', '2026-11-20', 1),
        count('rating', '2', 1),
        count('sentiment', 'negative', 1),
        count('status', 'open', 1),
      ],
    });
});

test('given feedback from several streams, then the totals add up across them', async (t) => {
  const log = recordedEventLog();
  const [a, b, c] = [feedback(uuidv7(), log), feedback(uuidv7(), log), feedback(uuidv7(), log)];
  await spec
    .given([a.submitted({ rating: 5 }), b.submitted({ rating: 5, submittedAt: '2026-11-21T23:59:59.000Z' }), c.submitted({ rating: null })])
    .when([a.statusChanged('open', 'closed'), b.categorized({ category: 'feature', sentiment: 'positive' })])
    .then(t, {
      feedback_counts: [
        count('category', 'feature', 1),
        count('day', '2026-11-20', 2),
        count('day', '2026-11-21', 1),
        count('rating', '5', 2),
        count('sentiment', 'positive', 1),
        count('status', 'closed', 1),
        count('status', 'open', 2),
      ],
    });
});

test('given a status change, when an older event of the stream is replayed, then nothing rolls back', async (t) => {
  const one = feedback();
  const submitted = one.submitted();
  const changed = one.statusChanged('open', 'closed', 'Duplicate');
  await spec
    .given([submitted, changed])
    .when([submitted])
    .then(t, {
      feedback: [{ ...openRow(one.id), status: 'closed', note: 'Duplicate', revision: 1, updated_at: new Date('2026-11-21T08:00:00.000Z') }],
      feedback_counts: [count('day', '2026-11-20', 1), count('rating', '2', 1), count('status', 'closed', 1)],
    });
});

test('given no submission, when the stream has only a status change, then no row appears', async (t) => {
  const one = feedback();
  one.submitted(); // recorded, but never delivered: the change arrives at revision 1 with nothing to fold into
  await spec.given([one.statusChanged('open', 'resolved')]).then(t, { feedback: [], feedback_counts: [] });
});
