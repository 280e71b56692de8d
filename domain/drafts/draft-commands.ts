// Draft commands. Ingestion is idempotent by content: the draft of an externalId ingested again with the same text
// (its sha-256) decides nothing, and the caller answers as the first time; with other text it is a conflict (409).
// A final note may come before or after the DFN; a new one replaces the current one (the events keep them all),
// and the same text as the current note again decides nothing.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { IllegalState, NotFound, ValidationError } from '../kernel/errors.js';
import { DRAFT_TEXT_MAX_LENGTH, type DraftEvent } from './events.js';
import { evolve, initialState, isTooLong, type Draft } from './draft.js';

export type IngestDraft = Command<
  'IngestDraft',
  {
    draftId: string;
    speakerId: string;
    externalId: string;
    text: string;
    /** sha-256 of the text, hex: computed by the handler (the domain does no hashing). */
    textHash: string;
    recordedAt: string | null;
    metadata: Readonly<Record<string, unknown>> | null;
  }
>;
export type RecordFinalNote = Command<'RecordFinalNote', { draftId: string; text: string; recordedBy: string }>;

export type DraftCommand = IngestDraft | RecordFinalNote;

/** Refuses an empty (white space only) or too long text, as the decider would: handlers check before any append. */
export function assertText(text: string, path: string): void {
  if (text.trim().length === 0) throw new ValidationError('DRAFT.EMPTY_TEXT', 'The text holds nothing but white space', [{ path, message: 'Empty text' }]);
  if (isTooLong(text)) {
    throw new ValidationError('DRAFT.TEXT_TOO_LONG', `The text may be at most ${DRAFT_TEXT_MAX_LENGTH} characters`, [{ path, message: `More than ${DRAFT_TEXT_MAX_LENGTH} characters` }]);
  }
}

export function decide(command: DraftCommand, draft: Draft): readonly DraftEvent[] {
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'IngestDraft': {
      const { draftId, speakerId, externalId, text, textHash, recordedAt, metadata } = command.data;
      assertText(text, 'body.text');
      if (draft.status !== 'initial') {
        if (draft.textHash === textHash && draft.speakerId === speakerId && draft.externalId === externalId) return [];
        throw new IllegalState('DRAFT.EXTERNAL_ID_CONFLICT', `Draft ${externalId} was ingested already with other text`);
      }
      return [{ type: 'DraftIngested', data: { draftId, speakerId, externalId, text, textHash, recordedAt, metadata, ingestedAt: at } }];
    }
    case 'RecordFinalNote': {
      const { draftId, text, recordedBy } = command.data;
      if (draft.status === 'initial') throw new NotFound('DRAFT.NOT_FOUND', `Draft ${draftId} does not exist`);
      assertText(text, 'body.text');
      if (draft.finalNote === text) return [];
      return [{ type: 'FinalNoteRecorded', data: { draftId, speakerId: draft.speakerId, text, recordedBy, recordedAt: at } }];
    }
    default:
      return assertNever(command);
  }
}

export const draftDecider: Decider<Draft, DraftCommand, DraftEvent> = { decide, evolve, initialState };
