// The drafts-retrieval read model: given recorded events, its rows, and the same rows when applied again.
import test from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { draftStreamId, speakerStreamId } from '../../domain/drafts/events.js';
import { draftsRetrievalProjection } from '../../projections/drafts/retrieval-projection.js';
import { ProjectionSpecification, recordedEventLog } from '../support/projection-specification.js';
import { AT, draftIngested, finalNoteRecorded, speakerCreated } from './dfn-events.js';

const spec = ProjectionSpecification(draftsRetrievalProjection, {
  drafts_retrieval_speakers: ['speaker_id'],
  drafts_retrieval_pairs: ['draft_id'],
});

const pairRow = (draftId: string, speakerId: string, text: string, finalNote: string | null, revision: number | null, search: string) => ({
  draft_id: draftId,
  speaker_id: speakerId,
  draft_text: text,
  final_note: finalNote,
  final_note_revision: revision,
  ingested_at: new Date(AT),
  draft_search: search,
});

test('a speaker keeps their specialty; a draft waits for its final note', async (t) => {
  const log = recordedEventLog();
  const speakerId = uuidv7();
  const draftId = uuidv7();
  await spec
    .given([log.record(speakerStreamId(speakerId), speakerCreated(speakerId, 'cardiology'))])
    .when([log.record(draftStreamId(draftId), draftIngested(draftId, speakerId, 'chest pain period'))])
    .then(t, {
      drafts_retrieval_speakers: [{ speaker_id: speakerId, specialty: 'cardiology' }],
      drafts_retrieval_pairs: [pairRow(draftId, speakerId, 'chest pain period', null, null, `'chest':1 'pain':2 'period':3`)],
    });
});

test('the latest final note replaces the first, and the search vector is of the draft', async (t) => {
  const log = recordedEventLog();
  const speakerId = uuidv7();
  const draftId = uuidv7();
  const stream = draftStreamId(draftId);
  await spec
    .given([log.record(stream, draftIngested(draftId, speakerId, 'Hyper tension, "stable"')), log.record(stream, finalNoteRecorded(draftId, speakerId, 'Hypertension, stable.'))])
    .when([log.record(stream, finalNoteRecorded(draftId, speakerId, 'Hypertension: stable.'))])
    .then(t, { drafts_retrieval_pairs: [pairRow(draftId, speakerId, 'Hyper tension, "stable"', 'Hypertension: stable.', 2, `'hyper':1 'stable':3 'tension':2`)] });
});
