// The drafts context: speakers, the raw drafts of their dictations, the draft final notes (DFN) the AI generates by
// retrieval from past corrections, the final notes humans write, and the evaluations of how close the DFN came.
import { draftsIntents } from '../../application/drafts/draft-intents.js';
import { generateFinalNote } from '../../application/drafts/final-note-task.js';
import type { ContextModule } from '../context-module.js';
import { draftsProjection } from './drafts-projection.js';
import { draftsMigrations } from './drafts-schema.js';
import { draftsBucketRecommender } from './bucket-recommender.js';
import { draftsDashboardProjection } from './dashboard-projection.js';
import { draftsDashboardMigrations } from './dashboard-schema.js';
import { draftsEvaluator } from './draft-evaluator.js';
import { draftsDfn } from './dfn-enricher.js';
import { FullTextRetriever } from './full-text-retriever.js';
import { draftsRetrievalProjection } from './retrieval-projection.js';
import { draftsRetrievalMigrations } from './retrieval-schema.js';

export const draftsModule: ContextModule = {
  name: 'drafts',
  categories: ['speaker', 'draft', 'speakerexternalid', 'draftexternalid'],
  migrations: { ...draftsMigrations, ...draftsDashboardMigrations, ...draftsRetrievalMigrations },
  projections: [draftsProjection, draftsDashboardProjection, draftsRetrievalProjection],
  enrichers: ({ store, ids, clock, upcasting, ai, db, appliedPosition, settings }) => [
    draftsDfn({
      store, ids, clock, upcasting, db, appliedPosition,
      retriever: new FullTextRetriever(db),
      generate: (input, signal) => generateFinalNote(ai, input, signal),
    }),
    draftsEvaluator({ store, ids, clock, upcasting }),
    draftsBucketRecommender({ store, ids, clock, upcasting, db, appliedPosition, window: settings.draftsBucketWindow }),
  ],
  intents: draftsIntents,
  upcasters: [],
};
