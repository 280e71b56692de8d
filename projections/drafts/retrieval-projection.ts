// Projection `drafts-retrieval`: what the DFN retriever searches. A speaker's specialty, each draft's text, and the
// latest final note of each draft (a second note replaces the first); guarded by the events themselves, so a
// batch applied twice writes the same rows.
import type { Transaction } from 'kysely';
import type { DraftIngested, FinalNoteRecorded, SpeakerCreated } from '../../domain/drafts/events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';

type Handled = SpeakerCreated | DraftIngested | FinalNoteRecorded;

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  for (const recorded of events) {
    const event = recorded as unknown as Handled;
    switch (event.type) {
      case 'SpeakerCreated':
        await tx
          .insertInto('drafts_retrieval_speakers')
          .values({ speaker_id: event.data.speakerId, specialty: event.data.specialty })
          .onConflict((oc) => oc.column('speaker_id').doNothing())
          .execute();
        break;
      case 'DraftIngested':
        await tx
          .insertInto('drafts_retrieval_pairs')
          .values({
            draft_id: event.data.draftId,
            speaker_id: event.data.speakerId,
            draft_text: event.data.text,
            final_note: null,
            final_note_revision: null,
            ingested_at: new Date(event.data.ingestedAt),
          })
          .onConflict((oc) => oc.column('draft_id').doNothing())
          .execute();
        break;
      case 'FinalNoteRecorded':
        // Only a newer note replaces the stored one: a redelivered or replayed older note leaves the row alone.
        await tx
          .updateTable('drafts_retrieval_pairs')
          .set({ final_note: event.data.text, final_note_revision: recorded.revision })
          .where('draft_id', '=', event.data.draftId)
          .where((eb) => eb.or([eb('final_note_revision', 'is', null), eb('final_note_revision', '<', recorded.revision)]))
          .execute();
        break;
      default:
        // Other drafts events are not handed over (see `handles`); this keeps a widened list from failing silently.
        throw new Error(`drafts-retrieval does not apply ${(event as { type: string }).type}`);
    }
  }
}

export const draftsRetrievalProjection: Projection = {
  name: 'drafts-retrieval',
  version: 1,
  categories: ['speaker', 'draft'],
  handles: ['SpeakerCreated', 'DraftIngested', 'FinalNoteRecorded'],
  tables: ['drafts_retrieval_speakers', 'drafts_retrieval_pairs'],
  apply,
};

