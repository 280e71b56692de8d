// Events and streams for tests: fresh categories keep a test's reads of a shared log to its own streams.
import { v7 as uuidv7 } from 'uuid';
import type { EventStore, NewEvent } from '../../application/ports/event-store.js';
import type { AppliedPosition } from '../../projections/projection-status.js';

export const metadata = {
  correlationId: 'contract',
  causationId: null,
  actor: { sub: 'contract-test', roles: ['admin'] },
  occurredAt: '2026-11-22T10:00:00.000Z',
  schema: 1,
};

export const newEvent = (type = 'Happened', data: unknown = { n: 1 }): NewEvent => ({ eventId: uuidv7(), type, data, metadata });
export const newEvents = (count: number, type = 'Happened'): NewEvent[] =>
  Array.from({ length: count }, (_, n) => newEvent(type, { n }));

/** A fresh category, so that a test's reads of the global log see only its own streams. */
export const freshCategory = (): string => `c${uuidv7().replaceAll('-', '').slice(-12)}`;
export const freshStream = (category = freshCategory()): string => `${category}-${uuidv7()}`;

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** For an enricher tested without its projector, the read models it waits for are given as up to date (with the rows a test projected by hand). */
export const appliedEverything =
  (store: Pick<EventStore, 'headPosition'>): AppliedPosition =>
  () =>
    store.headPosition();
