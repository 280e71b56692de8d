// CHORUS_DRAFTS_BUCKET_WINDOW: 20 unless set, a whole number from 1 to 1000, and the thresholds it is read against.
import test from 'ava';
import { bucketForRawWer } from '../../domain/drafts/bucket-thresholds.js';
import { ConfigError, loadConfig } from '../../infrastructure/config.js';

test('the bucket window defaults to 20 and takes a whole number from 1 to 1000', (t) => {
  t.is(loadConfig({}).draftsBucketWindow, 20);
  t.is(loadConfig({ CHORUS_DRAFTS_BUCKET_WINDOW: '5' }).draftsBucketWindow, 5);
  for (const bad of ['0', '-3', '2.5', '1001', 'twenty']) {
    t.throws(() => loadConfig({ CHORUS_DRAFTS_BUCKET_WINDOW: bad }), { instanceOf: ConfigError, message: /CHORUS_DRAFTS_BUCKET_WINDOW/ }, bad);
  }
});

test('the thresholds: no_edit < 0.05 ≤ low_edit < 0.15 ≤ medium_edit < 0.30 ≤ high_edit', (t) => {
  t.deepEqual(
    [0, 0.0499, 0.05, 0.1499, 0.15, 0.2999, 0.3, 1.7].map(bucketForRawWer),
    ['no_edit', 'no_edit', 'low_edit', 'low_edit', 'medium_edit', 'medium_edit', 'high_edit', 'high_edit'],
  );
});
