// Feedback as schema 1 of FeedbackSubmitted kept it: a free-text source. The sources come with the channel and app
// version splitSource parts each into (the cases of its unit test, and the inputs on which migration 0014's SQL must
// agree with it); the event is what the code before schema 2 appended.
import { v7 as uuidv7 } from 'uuid';
import type { NewEvent } from '../../application/ports/event-store.js';
import { metadata } from '../support/events.js';

/** A FeedbackSubmitted as the code before schema 2 appended it. */
export const submittedAtSchema1 = (feedbackId: string, source: string | null): NewEvent => ({
  eventId: uuidv7(),
  type: 'FeedbackSubmitted',
  data: { feedbackId, text: 'Export fails', rating: 2, source, customerId: null, submittedAt: '2026-11-20T09:30:00.000Z' },
  metadata: { ...metadata, schema: 1 },
});
export const SOURCE_CASES: readonly (readonly [source: string | null, channel: string | null, appVersion: string | null])[] = [
  [null, null, null],
  ['', null, null],
  ['   ', null, null],
  ['web', 'web', null],
  ['ios 2.3.1', 'ios', '2.3.1'],
  ['android/1.4.0', 'android', '1.4.0'],
  ['web@v2.3', 'web', 'v2.3'],
  ['iOS App 2.3.1-beta', 'iOS App', '2.3.1-beta'],
  ['Web 2.3.1-Beta.2', 'Web', '2.3.1-Beta.2'],
  ['ios 2.3.1-rc-1', 'ios', '2.3.1-rc-1'],
  ['android 10.0.1+45', 'android', '10.0.1+45'],
  ['V1.0', null, 'V1.0'],
  ['2.3.1', null, '2.3.1'],
  ['@2.3', null, '2.3'],
  ['1.2.3.4.5.6', null, '1.2.3.4.5.6'],
  ['  ios   2.3.1  ', 'ios', '2.3.1'],
  ['ios / 2.3.1', 'ios', '2.3.1'],
  ['x@y@1.2', 'x@y', '1.2'],
  ['web 1.0 2.0', 'web 1.0', '2.0'],
  ['ÉCRAN 2.3', 'ÉCRAN', '2.3'],
  ['😀 1.2', '😀', '1.2'],
  [`${'a'.repeat(95)} 1.2`, 'a'.repeat(95), '1.2'],
  // Not versions: no dot, a dot too many or too few, an empty or foreign suffix, other digits.
  ['ios 17', 'ios 17', null],
  ['ios v2', 'ios v2', null],
  ['vv1.0', 'vv1.0', null],
  ['ios 2.3.', 'ios 2.3.', null],
  ['ios 2..3', 'ios 2..3', null],
  ['ios 2.3.1-', 'ios 2.3.1-', null],
  ['ios 2.3+', 'ios 2.3+', null],
  ['ios -2.3', 'ios -2.3', null],
  ['ios 2.3_1', 'ios 2.3_1', null],
  ['web 2.3 beta', 'web 2.3 beta', null],
  ['app ٢.٣', 'app ٢.٣', null],
  ['app １.２', 'app １.２', null],
  // Only spaces, / and @ part tokens, and only spaces are trimmed.
  ['ios\t2.3.1', 'ios\t2.3.1', null],
  ['ios 2.3.1\n', 'ios 2.3.1\n', null],
  ['\tweb ', '\tweb', null],
  ['android/', 'android/', null],
  ['web/2.3.1/', 'web/2.3.1/', null],
];
