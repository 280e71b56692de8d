// Drafts events for the DFN tests, written as the write side will append them (the fixed contract of
// domain/drafts/events.ts): the data of each, and helpers that append them to a store or record them in a log.
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import { draftStreamId, speakerStreamId, type DraftIngested, type FinalNoteRecorded, type SpeakerCreated } from '../../domain/drafts/events.js';
import { metadata } from '../support/events.js';
import type { RecordedEventLog } from '../support/projection-specification.js';

export const AT = '2026-12-01T09:00:00.000Z';

export const speakerCreated = (speakerId: string, specialty: string | null): SpeakerCreated => ({
  type: 'SpeakerCreated',
  data: { speakerId, name: `Dr ${speakerId.slice(0, 6)}`, externalId: null, specialty, bucket: 'high_edit', createdBy: 'operator', createdAt: AT },
});

export const draftIngested = (draftId: string, speakerId: string, text: string, ingestedAt = AT): DraftIngested => ({
  type: 'DraftIngested',
  data: {
    draftId,
    speakerId,
    externalId: `ext-${draftId}`,
    text,
    textHash: createHash('sha256').update(text).digest('hex'),
    recordedAt: null,
    metadata: null,
    ingestedAt,
  },
});

export const finalNoteRecorded = (draftId: string, speakerId: string, text: string): FinalNoteRecorded => ({
  type: 'FinalNoteRecorded',
  data: { draftId, speakerId, text, recordedBy: 'editor', recordedAt: AT },
});

/** Appends to a real store, each event with a fresh id. */
export async function appendTo(store: EventStore, streamId: string, ...events: (SpeakerCreated | DraftIngested | FinalNoteRecorded)[]): Promise<void> {
  await store.append(
    streamId,
    events.map((event) => ({ eventId: uuidv7(), type: event.type, data: event.data, metadata })),
    { expectedRevision: 'any' },
  );
}

export const appendSpeaker = (store: EventStore, speakerId: string, specialty: string | null) => appendTo(store, speakerStreamId(speakerId), speakerCreated(speakerId, specialty));

/** A past draft and, unless null, its final note, recorded in a log for a projection. */
export function recordPair(log: RecordedEventLog, speakerId: string, draft: string, finalNote: string | null, draftId = uuidv7(), ingestedAt = AT) {
  const events: RecordedEvent[] = [log.record(draftStreamId(draftId), draftIngested(draftId, speakerId, draft, ingestedAt))];
  if (finalNote !== null) events.push(log.record(draftStreamId(draftId), finalNoteRecorded(draftId, speakerId, finalNote)));
  return { draftId, events };
}
