// The drafts context's intent for the AI orchestrator: `draft-final-note` (a raw draft and example pairs of draft and
// final note → a draft final note), the task the DFN enricher runs, on demand. Without examples the local provider
// has nothing to learn from and answers the draft tidied; Gemini answers from the draft alone.
import { z } from 'zod';
import type { AiIntent } from '../ai/intents.js';
import { EXAMPLE_MAX_LENGTH, finalNoteTask, type FinalNoteAnswer, type FinalNoteInput } from './final-note-task.js';

/** On demand the draft is bounded lower than an ingested one: the orchestrator answers within one request. */
export const INTENT_DRAFT_MAX_LENGTH = 20_000;
export const INTENT_EXAMPLES_MAX = 8;

const DraftFinalNoteInputSchema: z.ZodType<FinalNoteInput> = z
  .object({
    draft: z.string().trim().min(1).max(INTENT_DRAFT_MAX_LENGTH),
    examples: z
      .array(
        z
          .object({
            draftId: z.string().max(100).default(''),
            draft: z.string().min(1).max(EXAMPLE_MAX_LENGTH),
            finalNote: z.string().min(1).max(EXAMPLE_MAX_LENGTH),
          })
          .strict(),
      )
      .max(INTENT_EXAMPLES_MAX)
      .default([]),
  })
  .strict();

export const draftFinalNoteIntent: AiIntent<FinalNoteInput, FinalNoteAnswer> = {
  name: 'draft-final-note',
  summary: `A raw draft and up to ${INTENT_EXAMPLES_MAX} example pairs of draft and final note → a draft final note (what the DFN enricher generates)`,
  input: DraftFinalNoteInputSchema,
  task: finalNoteTask,
};

export const draftsIntents = [draftFinalNoteIntent] as const;
