// Every task the local provider runs. A context that adds an AI task adds its offline implementation here.
import { localDiagramGeneration } from './local-diagram-generation.js';
import { localFeedbackTriage } from './local-feedback-triage.js';
import { localFinalNote } from './local-final-note.js';
import { localLeadExtraction } from './local-lead-extraction.js';
import { localLeadSummary } from './local-lead-summary.js';
import type { LocalTask } from './local-ai-provider.js';

export const localTasks: readonly LocalTask[] = [localFeedbackTriage, localLeadSummary, localLeadExtraction, localFinalNote, localDiagramGeneration];
