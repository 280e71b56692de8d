// The diagrams context: versioned diagram sources (Mermaid or DOT) owned by members, their read models, and AI
// generation of a first version.
import { diagramsIntents } from '../../application/diagrams/diagram-intents.js';
import type { ContextModule } from '../context-module.js';
import { diagramsProjection } from './diagrams-projection.js';
import { diagramsMigrations } from './diagrams-schema.js';

export const diagramsModule: ContextModule = {
  name: 'diagrams',
  categories: ['diagram'],
  migrations: diagramsMigrations,
  projections: [diagramsProjection],
  enrichers: () => [],
  upcasters: [],
  intents: diagramsIntents,
};
