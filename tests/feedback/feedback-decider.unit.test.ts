import test from 'ava';
import { feedbackDecider, type ChangeFeedbackStatus, type SubmitFeedback } from '../../domain/feedback/commands.js';
import type { FeedbackEvent, FeedbackStatus } from '../../domain/feedback/events.js';
import { DeciderSpecification } from '../support/decider-specification.js';

const spec = DeciderSpecification(feedbackDecider);
const feedbackId = '01a2041a-9df6-7589-a81b-b54b1095756f';
const now = new Date('2026-11-22T10:00:00.000Z');

const submit: SubmitFeedback = {
  type: 'SubmitFeedback',
  data: { feedbackId, text: 'Checkout is slow', rating: 2, channel: 'ios', appVersion: '2.3.1', customerId: 'c-1' },
  metadata: { now },
};
const submitted: FeedbackEvent = {
  type: 'FeedbackSubmitted',
  data: { feedbackId, text: 'Checkout is slow', rating: 2, channel: 'ios', appVersion: '2.3.1', customerId: 'c-1', submittedAt: now.toISOString() },
};
const change = (status: FeedbackStatus, note: string | null = null): ChangeFeedbackStatus => ({
  type: 'ChangeFeedbackStatus',
  data: { feedbackId, status, note },
  metadata: { now },
});
const changed = (from: FeedbackStatus, to: FeedbackStatus, note: string | null = null): FeedbackEvent => ({
  type: 'FeedbackStatusChanged',
  data: { feedbackId, from, to, note, changedAt: now.toISOString() },
});

test('submitting new feedback records it, stamped with the command time', (t) => {
  spec.given([]).when(submit).then(t, [submitted]);
});

test('feedback cannot be submitted twice', (t) => {
  spec.given([submitted]).when(submit).thenThrows(t, 'FEEDBACK.ALREADY_SUBMITTED');
});

test('changing the status of unknown feedback is not found', (t) => {
  spec.given([]).when(change('resolved')).thenThrows(t, 'FEEDBACK.NOT_FOUND');
});

test('open feedback can move to in_progress, resolved or closed, carrying the note', (t) => {
  spec.given([submitted]).when(change('in_progress', 'looking')).then(t, [changed('open', 'in_progress', 'looking')]);
  spec.given([submitted]).when(change('resolved')).then(t, [changed('open', 'resolved')]);
  spec.given([submitted]).when(change('closed')).then(t, [changed('open', 'closed')]);
});

test('resolved feedback can be reopened or closed, but not taken back to in_progress', (t) => {
  const resolved = [submitted, changed('open', 'resolved')];
  spec.given(resolved).when(change('open')).then(t, [changed('resolved', 'open')]);
  spec.given(resolved).when(change('closed')).then(t, [changed('resolved', 'closed')]);
  spec.given(resolved).when(change('in_progress')).thenThrows(t, 'FEEDBACK.ILLEGAL_TRANSITION');
});

test('closed feedback is final', (t) => {
  spec.given([submitted, changed('open', 'closed')]).when(change('open')).thenThrows(t, 'FEEDBACK.CLOSED');
});

test('asking for the status feedback already has decides nothing', (t) => {
  spec.given([submitted]).when(change('open')).then(t, []);
  spec.given([submitted, changed('open', 'closed')]).when(change('closed')).then(t, []);
});
