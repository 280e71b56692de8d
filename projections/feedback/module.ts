// The feedback context: customer feedback, its read model and stats, and AI triage.
import { triageFeedback } from '../../application/feedback/feedback-triage-task.js';
import { feedbackIntents } from '../../application/feedback/feedback-intents.js';
import { feedbackUpcasters } from '../../application/feedback/feedback-upcasters.js';
import type { ContextModule } from '../context-module.js';
import { feedbackProjection } from './feedback-projection.js';
import { feedbackMigrations } from './feedback-schema.js';
import { feedbackTriage } from './feedback-triage.js';

export const feedbackModule: ContextModule = {
  name: 'feedback',
  categories: ['feedback'],
  migrations: feedbackMigrations,
  projections: [feedbackProjection],
  enrichers: ({ store, ids, clock, upcasting, ai }) => [feedbackTriage({ store, ids, clock, upcasting, analyze: (text, signal) => triageFeedback(ai, text, signal) })],
  upcasters: feedbackUpcasters,
  intents: feedbackIntents,
};
