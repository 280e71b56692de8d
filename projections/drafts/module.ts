// The drafts context: speakers, the raw drafts of their dictations, the draft final notes (DFN) the AI generates by
// retrieval from past corrections, the final notes humans write, and the evaluations of how close the DFN came.
import type { ContextModule } from '../context-module.js';

export const draftsModule: ContextModule = {
  name: 'drafts',
  categories: ['speaker', 'draft', 'speakerexternalid', 'draftexternalid'],
  migrations: {},
  projections: [],
  enrichers: () => [],
  upcasters: [],
};
