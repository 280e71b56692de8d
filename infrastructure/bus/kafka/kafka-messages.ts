// The wire form of an event: value = the JSON envelope, key = stream id, headers for routing and tracing
// without parsing the value, and the event store it came from. Besides events, the relay writes watermarks:
// "everything up to this position is published", one to every partition after each batch.
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { Upcasting } from '../../../application/eventstore/upcasting.js';
import type { Position, RecordedEvent } from '../../../application/ports/event-store.js';

export const HEADERS = {
  type: 'chorus-type',
  eventId: 'chorus-event-id',
  correlationId: 'chorus-correlation-id',
  position: 'chorus-position',
  /** The instance id of the event store the event belongs to: consumers apply only their own store's. */
  store: 'chorus-store',
  /** Set on watermark messages only: the position through which the relay has published the whole log. */
  watermark: 'chorus-watermark',
} as const;

/** What a message without a store header counts as (store ids are UUIDs, so no store is called this). */
export const NO_STORE = 'none';

export function toMessage(event: RecordedEvent, storeId: string): Message {
  return {
    key: event.streamId,
    value: JSON.stringify(event),
    headers: {
      [HEADERS.type]: event.type,
      [HEADERS.eventId]: event.eventId,
      [HEADERS.correlationId]: event.metadata.correlationId,
      [HEADERS.position]: event.position,
      [HEADERS.store]: storeId,
    },
  };
}

/**
 * A watermark for one partition: every event at or before `position` that goes to this partition precedes it.
 * Its value is readable JSON for people browsing the topic; consumers read the header.
 */
export function toWatermark(position: Position, storeId: string, partition: number): Message {
  return {
    partition,
    key: null,
    value: JSON.stringify({ watermark: position }),
    headers: { [HEADERS.watermark]: position, [HEADERS.store]: storeId },
  };
}

/** The position a watermark message carries, or null when the message is not a watermark. */
export function watermarkOf(message: Pick<KafkaMessage, 'headers'>): Position | null {
  const position = headerText(message.headers, HEADERS.watermark);
  return position === undefined || position === '' ? null : position;
}

/** The store a message names in its header, or NO_STORE (a message from before the header, or not Chorus's). */
export function storeOf(message: Pick<KafkaMessage, 'headers'>): string {
  const store = headerText(message.headers, HEADERS.store);
  return store === undefined || store === '' ? NO_STORE : store;
}

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return (Array.isArray(value) ? value[0] : value)?.toString();
}

/**
 * The envelope in a message, at its type's current schema (a message relayed before an upcaster came keeps the
 * schema it was written with), or null when the message is not one (nothing Chorus produced).
 */
export function fromMessage(message: KafkaMessage, upcasting: Upcasting): RecordedEvent | null {
  const event = envelopeOf(message);
  return event === null ? null : upcasting.upcast(event);
}

function envelopeOf(message: KafkaMessage): RecordedEvent | null {
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
