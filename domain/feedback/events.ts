// Feedback: what happened to one piece of customer feedback, and the state those events fold into.
import { assertNever, type Event } from '../kernel/decider.js';

export const FEEDBACK_STATUSES = ['open', 'in_progress', 'resolved', 'closed'] as const;
export type FeedbackStatus = (typeof FEEDBACK_STATUSES)[number];

export const FEEDBACK_TEXT_MAX_LENGTH = 5000;
export const FEEDBACK_NOTE_MAX_LENGTH = 2000;
export const FEEDBACK_RATING_MIN = 1;
export const FEEDBACK_RATING_MAX = 5;

export const feedbackStreamId = (feedbackId: string): string => `feedback-${feedbackId}`;

export type FeedbackSubmitted = Event<
  'FeedbackSubmitted',
  {
    feedbackId: string;
    text: string;
    rating: number | null;
    source: string | null;
    customerId: string | null;
    submittedAt: string;
  }
>;

export type FeedbackStatusChanged = Event<
  'FeedbackStatusChanged',
  { feedbackId: string; from: FeedbackStatus; to: FeedbackStatus; note: string | null; changedAt: string }
>;

export type FeedbackEvent = FeedbackSubmitted | FeedbackStatusChanged;

export const FEEDBACK_EVENT_TYPES: readonly FeedbackEvent['type'][] = ['FeedbackSubmitted', 'FeedbackStatusChanged'];

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
    default:
      return assertNever(event);
  }
}
