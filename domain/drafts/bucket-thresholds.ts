// Which bucket a speaker's drafts belong in, by the mean word error rate of their raw drafts against the final notes
// over their last N evaluations (N: CHORUS_DRAFTS_BUCKET_WINDOW). Fixed thresholds, documented in the README:
// no_edit < 0.05 ≤ low_edit < 0.15 ≤ medium_edit < 0.30 ≤ high_edit.
import type { Bucket } from './events.js';

export const BUCKET_THRESHOLDS: readonly Readonly<{ bucket: Bucket; below: number }>[] = [
  { bucket: 'no_edit', below: 0.05 },
  { bucket: 'low_edit', below: 0.15 },
  { bucket: 'medium_edit', below: 0.3 },
];

export function bucketForRawWer(meanRawWer: number): Bucket {
  return BUCKET_THRESHOLDS.find(({ below }) => meanRawWer < below)?.bucket ?? 'high_edit';
}
