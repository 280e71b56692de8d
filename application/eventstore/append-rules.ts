// What every EventStore adapter refuses before it touches storage, so all of them answer alike.
import { ValidationError, type ExpectedRevision } from '../../domain/kernel/errors.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import type { NewEvent } from '../ports/event-store.js';

export const MAX_EVENTS_PER_APPEND = 65_536;

/** Whether `id` has the form of an event id (a uuid, any case); nothing else is ever stored. */
export const isEventId = isUuid;

/** Event data may not contain U+0000 or a lone UTF-16 surrogate: PostgreSQL's jsonb cannot store them, and events must move between stores. */
export const unsupportedCharacter = (): ValidationError =>
  new ValidationError('EVENT_STORE.UNSUPPORTED_CHARACTER', 'Event data cannot contain the character U+0000 or a lone UTF-16 surrogate');

export function assertAppendable(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): void {
  if (streamId.length === 0) throw new ValidationError('EVENT_STORE.INVALID_STREAM', 'A stream id cannot be empty');
  if (events.length === 0) throw new ValidationError('EVENT_STORE.EMPTY_APPEND', 'An append needs at least one event');
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new ValidationError('EVENT_STORE.APPEND_TOO_LARGE', `An append takes at most ${MAX_EVENTS_PER_APPEND} events`);
  }
  if (typeof expected === 'number' && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw new ValidationError('EVENT_STORE.INVALID_EXPECTED_REVISION', `Expected revision ${expected} is not a revision`);
  }
  const ids = new Set<string>();
  for (const event of events) {
    if (!isEventId(event.eventId)) throw new ValidationError('EVENT_STORE.INVALID_EVENT_ID', `Event id ${event.eventId} is not a uuid`);
    ids.add(event.eventId.toLowerCase());
  }
  if (ids.size !== events.length) throw new ValidationError('EVENT_STORE.DUPLICATE_EVENT_ID', 'An append names the same event id twice');
}
