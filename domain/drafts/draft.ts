// A draft's state, folded from its own stream: ingested once, then its DFN (from the enricher), its final notes (the
// latest replaces the earlier ones) and their evaluations.
import { assertNever } from '../kernel/decider.js';
import { DRAFT_TEXT_MAX_LENGTH, type DraftEvent } from './events.js';

export type DraftDetails = Readonly<{
  draftId: string;
  speakerId: string;
  externalId: string;
  textHash: string;
  hasDfn: boolean;
  /** The latest final note's text; null before the first. */
  finalNote: string | null;
}>;

export type Draft = Readonly<{ status: 'initial' }> | (DraftDetails & Readonly<{ status: 'ingested' }>);

export const initialState = (): Draft => ({ status: 'initial' });

export function evolve(state: Draft, event: DraftEvent): Draft {
  switch (event.type) {
    case 'DraftIngested': {
      if (state.status !== 'initial') return state;
      const { draftId, speakerId, externalId, textHash } = event.data;
      return { status: 'ingested', draftId, speakerId, externalId, textHash, hasDfn: false, finalNote: null };
    }
    case 'DfnGenerated':
      return state.status === 'initial' ? state : { ...state, hasDfn: true };
    case 'FinalNoteRecorded':
      return state.status === 'initial' ? state : { ...state, finalNote: event.data.text };
    case 'EvaluationCompleted':
      return state;
    default:
      return assertNever(event);
  }
}

/**
 * Text length as Unicode code points (what PostgreSQL's char_length counts), so that a draft of emoji or CJK takes
 * as many characters as one of Latin letters.
 */
export function codePointLength(text: string): number {
  let count = 0;
  for (let at = 0; at < text.length; at++) {
    const unit = text.charCodeAt(at);
    if (unit >= 0xd800 && unit <= 0xdbff && at + 1 < text.length) {
      const next = text.charCodeAt(at + 1);
      if (next >= 0xdc00 && next <= 0xdfff) at++;
    }
    count++;
  }
  return count;
}

/** Whether a draft's or a final note's text is too long: at most DRAFT_TEXT_MAX_LENGTH code points. */
export const isTooLong = (text: string): boolean => text.length > DRAFT_TEXT_MAX_LENGTH && codePointLength(text) > DRAFT_TEXT_MAX_LENGTH;
