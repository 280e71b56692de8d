// The drafts context: speakers, the raw drafts of their dictations, the draft final notes (DFN) the AI generates by
// retrieval from past corrections, the final notes humans write, and the evaluations of how close the DFN came.
import { generateFinalNote } from '../../application/drafts/final-note-task.js';
import type { ContextModule } from '../context-module.js';
import { draftsDfn } from './dfn-enricher.js';
import { FullTextRetriever } from './full-text-retriever.js';
import { draftsRetrievalProjection } from './retrieval-projection.js';
import { draftsRetrievalMigrations } from './retrieval-schema.js';

export const draftsModule: ContextModule = {
  name: 'drafts',
  categories: ['speaker', 'draft', 'speakerexternalid', 'draftexternalid'],
  migrations: { ...draftsRetrievalMigrations },
  projections: [draftsRetrievalProjection],
  enrichers: ({ store, ids, clock, upcasting, ai, db }) => [
    draftsDfn({ store, ids, clock, upcasting, retriever: new FullTextRetriever(db), generate: (input, signal) => generateFinalNote(ai, input, signal) }),
  ],
  upcasters: [],
};
