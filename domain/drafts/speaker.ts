// A speaker's state, folded from its own stream: created with a bucket, reassigned by operators. A recommendation
// (appended by the system after an evaluation) changes no bucket: an operator accepts it with a reassignment.
import { assertNever } from '../kernel/decider.js';
import type { Bucket, SpeakerEvent } from './events.js';

export type Speaker =
  | Readonly<{ status: 'initial' }>
  | Readonly<{ status: 'active'; speakerId: string; name: string; externalId: string | null; specialty: string | null; bucket: Bucket }>;

export const initialState = (): Speaker => ({ status: 'initial' });

export function evolve(state: Speaker, event: SpeakerEvent): Speaker {
  switch (event.type) {
    case 'SpeakerCreated': {
      const { speakerId, name, externalId, specialty, bucket } = event.data;
      return { status: 'active', speakerId, name, externalId, specialty, bucket };
    }
    case 'SpeakerReassigned':
      return state.status === 'active' ? { ...state, bucket: event.data.to } : state;
    case 'SpeakerBucketRecommended':
      return state;
    default:
      return assertNever(event);
  }
}
