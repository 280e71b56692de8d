// Feedback triage, offline: a weighted lexicon for the category, AFINN-165 with product vocabulary for the sentiment.
import { feedbackTriageTask, type FeedbackAnalysis } from '../../../application/feedback/feedback-triage-task.js';
import { categorizeFeedback } from './categorize-feedback.js';
import { DEFECT_CATEGORIES } from './feedback-lexicon.js';
import { readSentiment } from './feedback-sentiment.js';
import { localTask } from './local-ai-provider.js';

export function analyzeFeedbackLocally(text: string): FeedbackAnalysis {
  const { category, confidence } = categorizeFeedback(text);
  const { sentiment } = readSentiment(text, { defectReport: DEFECT_CATEGORIES.has(category) });
  return { category, sentiment, confidence };
}

export const localFeedbackTriage = localTask(feedbackTriageTask, ({ text }) => analyzeFeedbackLocally(text));
