// The CRM context: leads and the activities agents log on them, their read model and pipeline stats, and the AI
// summary of each lead's activities.
import { summarizeActivities } from '../../application/crm/lead-ai-tasks.js';
import { crmIntents } from '../../application/crm/lead-intents.js';
import type { ContextModule } from '../context-module.js';
import { LEAD_SUMMARY_QUIET_MS, leadSummary } from './lead-summary.js';
import { leadsProjection } from './leads-projection.js';
import { crmMigrations } from './leads-schema.js';

export const crmModule: ContextModule = {
  name: 'crm',
  categories: ['lead'],
  migrations: crmMigrations,
  projections: [leadsProjection],
  enrichers: ({ store, ids, clock, upcasting, ai }) => [
    leadSummary({ store, ids, clock, upcasting, quietMs: LEAD_SUMMARY_QUIET_MS, summarize: (input, signal) => summarizeActivities(ai, input, signal) }),
  ],
  upcasters: [],
  intents: crmIntents,
};
