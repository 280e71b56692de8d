// Feedback: what happened to one piece of customer feedback, and the state those events fold into.
import { assertNever, type Event } from '../kernel/decider.js';

export const FEEDBACK_STATUSES = ['open', 'in_progress', 'resolved', 'closed'] as const;
export type FeedbackStatus = (typeof FEEDBACK_STATUSES)[number];

export const FEEDBACK_TEXT_MAX_LENGTH = 5000;
export const FEEDBACK_NOTE_MAX_LENGTH = 2000;
export const FEEDBACK_RATING_MIN = 1;
export const FEEDBACK_RATING_MAX = 5;
export const FEEDBACK_CHANNEL_MAX_LENGTH = 100;
export const FEEDBACK_APP_VERSION_MAX_LENGTH = 50;

export const FEEDBACK_CATEGORIES = ['product', 'feature', 'quality', 'app', 'website', 'bug', 'crash'] as const;
export type FeedbackCategory = (typeof FEEDBACK_CATEGORIES)[number];

export const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;
export type Sentiment = (typeof SENTIMENTS)[number];

export const feedbackStreamId = (feedbackId: string): string => `feedback-${feedbackId}`;

/** Schema 2: schema 1 had one free-text `source` instead of `channel` and `appVersion` (see source.ts). */
export type FeedbackSubmitted = Event<
  'FeedbackSubmitted',
  {
    feedbackId: string;
    text: string;
    rating: number | null;
    /** Where it was sent from: `ios`, `android`, `web`, ... as the client names it. */
    channel: string | null;
    appVersion: string | null;
    customerId: string | null;
    submittedAt: string;
  }
>;

export type FeedbackStatusChanged = Event<
  'FeedbackStatusChanged',
  { feedbackId: string; from: FeedbackStatus; to: FeedbackStatus; note: string | null; changedAt: string }
>;

/** Appended by the triage enricher, not decided by a command: an AI's reading of the text. */
export type FeedbackCategorized = Event<
  'FeedbackCategorized',
  { feedbackId: string; category: FeedbackCategory; sentiment: Sentiment; confidence: number; provider: string }
>;

export type FeedbackEvent = FeedbackSubmitted | FeedbackStatusChanged | FeedbackCategorized;

export const FEEDBACK_EVENT_TYPES: readonly FeedbackEvent['type'][] = ['FeedbackSubmitted', 'FeedbackStatusChanged', 'FeedbackCategorized'];

export type Feedback =
  | { status: 'initial' }
  | { status: FeedbackStatus; feedbackId: string };

export const initialState = (): Feedback => ({ status: 'initial' });

export function evolve(state: Feedback, event: FeedbackEvent): Feedback {
  switch (event.type) {
    case 'FeedbackSubmitted':
      return { status: 'open', feedbackId: event.data.feedbackId };
    case 'FeedbackStatusChanged':
      return state.status === 'initial' ? state : { ...state, status: event.data.to };
    case 'FeedbackCategorized':
      return state; // no command depends on the category
    default:
      return assertNever(event);
  }
}
