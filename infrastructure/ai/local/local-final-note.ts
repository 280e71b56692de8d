// The draft final note, offline: corrections learned from the retrieved pairs (see draft-corrections.ts).
import { finalNoteTask } from '../../../application/drafts/final-note-task.js';
import { correctDraft } from './apply-corrections.js';
import { LOCAL_FINAL_NOTE_MODEL } from './draft-corrections.js';
import { localTask } from './local-ai-provider.js';

export const localFinalNote = localTask(finalNoteTask, ({ draft, examples }) => ({ finalNote: correctDraft(draft, examples) }), LOCAL_FINAL_NOTE_MODEL);
