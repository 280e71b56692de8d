// How older feedback events read today: FeedbackSubmitted of schema 1 kept one free-text `source`, which schema 2
// parts into `channel` and `appVersion` by the rule of domain/feedback/source.ts.
import type { FeedbackSubmitted } from '../../domain/feedback/events.js';
import { splitSource } from '../../domain/feedback/source.js';
import type { Upcaster } from '../eventstore/upcasting.js';

type FeedbackSubmittedV1 = Omit<FeedbackSubmitted['data'], 'channel' | 'appVersion'> & Readonly<{ source: string | null }>;

export const feedbackUpcasters: readonly Upcaster[] = [
  {
    type: 'FeedbackSubmitted',
    fromSchema: 1,
    upcast(data) {
      const { source, ...rest } = data as FeedbackSubmittedV1;
      return { ...rest, ...splitSource(source) } satisfies FeedbackSubmitted['data'];
    },
  },
];
