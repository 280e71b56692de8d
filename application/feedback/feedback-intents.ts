// The feedback context's intent for the AI orchestrator: `categorize-feedback` runs the triage task on a text,
// without submitting it (what the triage enricher would record for it).
import { z } from 'zod';
import { FEEDBACK_TEXT_MAX_LENGTH } from '../../domain/feedback/events.js';
import type { AiIntent } from '../ai/intents.js';
import { feedbackTriageTask, type FeedbackAnalysis, type FeedbackTriageInput } from './feedback-triage-task.js';

export const categorizeFeedbackIntent: AiIntent<FeedbackTriageInput, FeedbackAnalysis> = {
  name: 'categorize-feedback',
  summary: 'A feedback text → category, sentiment and confidence (what triage would record)',
  input: z.strictObject({ text: z.string().trim().min(1).max(FEEDBACK_TEXT_MAX_LENGTH) }),
  task: feedbackTriageTask,
};

export const feedbackIntents = [categorizeFeedbackIntent] as const;
