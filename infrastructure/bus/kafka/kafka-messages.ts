// The wire form of an event: value = the JSON envelope, key = stream id, headers for routing and tracing
// without parsing the value.
import type { KafkaMessage, Message } from 'kafkajs';
import type { RecordedEvent } from '../../../application/ports/event-store.js';

export const HEADERS = {
  type: 'chorus-type',
  eventId: 'chorus-event-id',
  correlationId: 'chorus-correlation-id',
  position: 'chorus-position',
} as const;

export function toMessage(event: RecordedEvent): Message {
  return {
    key: event.streamId,
    value: JSON.stringify(event),
    headers: {
      [HEADERS.type]: event.type,
      [HEADERS.eventId]: event.eventId,
      [HEADERS.correlationId]: event.metadata.correlationId,
      [HEADERS.position]: event.position,
    },
  };
}

/** The envelope in a message, or null when the message is not one (nothing Chorus produced). */
export function fromMessage(message: KafkaMessage): RecordedEvent | null {
  if (message.value === null) return null;
  try {
    const event = JSON.parse(message.value.toString('utf8')) as Partial<RecordedEvent> | null;
    const wellFormed =
      typeof event?.eventId === 'string' &&
      typeof event.type === 'string' &&
      typeof event.streamId === 'string' &&
      typeof event.revision === 'number' &&
      typeof event.position === 'string' &&
      typeof event.metadata === 'object' &&
      event.metadata !== null;
    return wellFormed ? (event as RecordedEvent) : null;
  } catch {
    return null;
  }
}
