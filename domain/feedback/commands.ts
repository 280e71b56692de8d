// Feedback commands and the rules that decide them.
//
// Status transitions (anything else is FEEDBACK.ILLEGAL_TRANSITION, HTTP 409):
//   open        -> in_progress | resolved | closed
//   in_progress -> open | resolved | closed
//   resolved    -> open (reopen) | closed
//   closed      -> nothing: closed is final (FEEDBACK.CLOSED)
// Asking for the status the feedback already has is a no-op, so a retried request is harmless.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { IllegalState, NotFound } from '../kernel/errors.js';
import { evolve, initialState, type Feedback, type FeedbackEvent, type FeedbackStatus } from './events.js';

export type SubmitFeedback = Command<
  'SubmitFeedback',
  { feedbackId: string; text: string; rating: number | null; channel: string | null; appVersion: string | null; customerId: string | null }
>;

export type ChangeFeedbackStatus = Command<
  'ChangeFeedbackStatus',
  { feedbackId: string; status: FeedbackStatus; note: string | null }
>;

export type FeedbackCommand = SubmitFeedback | ChangeFeedbackStatus;

const allowedTransitions: Readonly<Record<FeedbackStatus, readonly FeedbackStatus[]>> = {
  open: ['in_progress', 'resolved', 'closed'],
  in_progress: ['open', 'resolved', 'closed'],
  resolved: ['open', 'closed'],
  closed: [],
};

export function decide(command: FeedbackCommand, state: Feedback): readonly FeedbackEvent[] {
  switch (command.type) {
    case 'SubmitFeedback': {
      if (state.status !== 'initial') {
        throw new IllegalState('FEEDBACK.ALREADY_SUBMITTED', `Feedback ${command.data.feedbackId} already exists`);
      }
      const { feedbackId, text, rating, channel, appVersion, customerId } = command.data;
      const submittedAt = command.metadata.now.toISOString();
      return [{ type: 'FeedbackSubmitted', data: { feedbackId, text, rating, channel, appVersion, customerId, submittedAt } }];
    }
    case 'ChangeFeedbackStatus': {
      const { feedbackId, status: to, note } = command.data;
      if (state.status === 'initial') throw new NotFound('FEEDBACK.NOT_FOUND', `Feedback ${feedbackId} does not exist`);
      if (state.status === to) return [];
      if (state.status === 'closed') {
        throw new IllegalState('FEEDBACK.CLOSED', `Feedback ${feedbackId} is closed; its status can no longer change`);
      }
      if (!allowedTransitions[state.status].includes(to)) {
        throw new IllegalState('FEEDBACK.ILLEGAL_TRANSITION', `Feedback ${feedbackId} cannot go from ${state.status} to ${to}`);
      }
      const changedAt = command.metadata.now.toISOString();
      return [{ type: 'FeedbackStatusChanged', data: { feedbackId, from: state.status, to, note, changedAt } }];
    }
    default:
      return assertNever(command);
  }
}

export const feedbackDecider: Decider<Feedback, FeedbackCommand, FeedbackEvent> = { decide, evolve, initialState };
