// The diagrams context's intent for the AI orchestrator: `generate-diagram` turns a description into a diagram's
// source and title, without saving it (saving goes through the diagrams' own routes).
import type { AiIntent } from '../ai/intents.js';
import { DIAGRAM_PROMPT_MAX_LENGTH } from '../../domain/diagrams/diagram-events.js';
import { DiagramGenerationInputSchema, diagramGenerationTask, type DiagramGenerationAnswer, type DiagramGenerationInput } from './diagram-generation.js';

export const generateDiagramIntent: AiIntent<DiagramGenerationInput, DiagramGenerationAnswer> = {
  name: 'generate-diagram',
  summary: `A description of up to ${DIAGRAM_PROMPT_MAX_LENGTH} characters and a format (mermaid or dot) → a diagram's source and title`,
  input: DiagramGenerationInputSchema,
  task: diagramGenerationTask,
};

export const diagramsIntents = [generateDiagramIntent] as const;
