// Speaker commands: creating one (in the default bucket unless told), and moving it to another bucket, which says
// from where, to where, why and by whom. Reassigning to the bucket it is in is refused (409): it would record a
// move that did not happen.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { IllegalState, NotFound, ValidationError } from '../kernel/errors.js';
import { SPEAKER_NAME_MAX_LENGTH, type Bucket, type SpeakerEvent } from './events.js';
import { evolve, initialState, type Speaker } from './speaker.js';

export const DEFAULT_BUCKET: Bucket = 'high_edit';
export const REASSIGN_REASON_MAX_LENGTH = 500;
export const SPECIALTY_MAX_LENGTH = 100;

export type CreateSpeaker = Command<
  'CreateSpeaker',
  { speakerId: string; name: string; externalId: string | null; specialty: string | null; bucket: Bucket | null; createdBy: string }
>;
export type ReassignSpeaker = Command<'ReassignSpeaker', { speakerId: string; bucket: Bucket; reason: string; by: string }>;

export type SpeakerCommand = CreateSpeaker | ReassignSpeaker;

const invalid = (code: string, path: string, message: string): ValidationError => new ValidationError(code, message, [{ path, message }]);

export function decide(command: SpeakerCommand, state: Speaker): readonly SpeakerEvent[] {
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'CreateSpeaker': {
      const { speakerId, externalId, bucket, createdBy } = command.data;
      // Only a claimed externalId leads a new request to an existing speaker: that id is taken.
      if (state.status !== 'initial') throw new IllegalState('SPEAKER.EXTERNAL_ID_TAKEN', `A speaker with externalId ${externalId ?? ''} exists already`);
      const name = command.data.name.trim();
      if (name.length === 0 || name.length > SPEAKER_NAME_MAX_LENGTH) throw invalid('SPEAKER.INVALID_NAME', 'body.name', `A name of 1 to ${SPEAKER_NAME_MAX_LENGTH} characters`);
      const specialty = command.data.specialty?.trim() || null;
      if (specialty !== null && specialty.length > SPECIALTY_MAX_LENGTH) throw invalid('SPEAKER.INVALID_SPECIALTY', 'body.specialty', `At most ${SPECIALTY_MAX_LENGTH} characters`);
      return [{ type: 'SpeakerCreated', data: { speakerId, name, externalId, specialty, bucket: bucket ?? DEFAULT_BUCKET, createdBy, createdAt: at } }];
    }
    case 'ReassignSpeaker': {
      const { speakerId, bucket, by } = command.data;
      if (state.status === 'initial') throw new NotFound('SPEAKER.NOT_FOUND', `Speaker ${speakerId} does not exist`);
      const reason = command.data.reason.trim();
      if (reason.length === 0 || reason.length > REASSIGN_REASON_MAX_LENGTH) throw invalid('SPEAKER.INVALID_REASON', 'body.reason', `A reason of 1 to ${REASSIGN_REASON_MAX_LENGTH} characters`);
      if (state.bucket === bucket) throw new IllegalState('SPEAKER.SAME_BUCKET', `Speaker ${speakerId} is in bucket ${bucket} already`);
      return [{ type: 'SpeakerReassigned', data: { speakerId, from: state.bucket, to: bucket, reason, by, at } }];
    }
    default:
      return assertNever(command);
  }
}

export const speakerDecider: Decider<Speaker, SpeakerCommand, SpeakerEvent> = { decide, evolve, initialState };
