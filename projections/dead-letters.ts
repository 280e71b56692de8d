// Dead letters: events a consumer (a projection or an enricher) kept failing on, parked so that it goes on.
// Later events of the same stream park behind an open letter, so no stream is ever applied with a hole.
// Operators list them, retry them once the cause is fixed, or discard them.
import { sql, type Kysely, type Selectable } from 'kysely';
import { IllegalState, NotFound } from '../domain/kernel/errors.js';
import type { Upcasting } from '../application/eventstore/upcasting.js';
import { describeError } from '../application/kernel/describe-error.js';
import type { RecordedEvent } from '../application/ports/event-store.js';
import type { DeadLettersTable, DeadLetterStatus } from './runtime-schema.js';
import type { Schema } from './schema.js';

export type DeadLetterView = Readonly<{
  id: string;
  consumer: string;
  eventId: string;
  streamId: string;
  revision: number;
  type: string;
  position: string;
  /** Safe to show: a code or a message with credentials masked, never a database's own words. */
  error: string;
  attempts: number;
  status: DeadLetterStatus;
  firstFailedAt: string;
  lastFailedAt: string;
  resolvedAt: string | null;
}>;

/** What is announced when an event is parked (on the chorus.dlq topic). */
export type DeadLetter = Readonly<{ consumer: string; event: RecordedEvent; error: string; attempts: number }>;

/** A consumer whose letters can be retried. */
export type Redeliverable = Readonly<{
  name: string;
  /** Applies a stream's open letters, in revision order. Applying an event twice must change nothing. */
  redeliver(events: readonly RecordedEvent[]): Promise<void>;
}>;

/**
 * The consumer, handed its letters at their current schemas: a letter keeps the event as it was parked, which may
 * be before an upcaster of its type came.
 */
export function upcastingRedelivery<C extends Redeliverable>(consumer: C, upcasting: Upcasting): C {
  // The consumer stays what it is (a ProjectionApplier is still one, for replays to find): only redeliver changes.
  const redeliver = (events: readonly RecordedEvent[]): Promise<void> => consumer.redeliver(upcasting.upcastAll(events));
  return Object.assign(Object.create(consumer) as C, { redeliver });
}

export const PARKED_BEHIND = 'Parked behind an earlier dead letter of the same stream';

const toView = (row: Selectable<DeadLettersTable>): DeadLetterView => ({
  id: String(row.id),
  consumer: row.consumer,
  eventId: row.event_id,
  streamId: row.stream_id,
  revision: Number(row.revision),
  type: (row.event as RecordedEvent).type,
  position: row.position,
  error: row.error,
  attempts: row.attempts,
  status: row.status,
  firstFailedAt: row.first_failed_at.toISOString(),
  lastFailedAt: row.last_failed_at.toISOString(),
  resolvedAt: row.resolved_at?.toISOString() ?? null,
});

const letterOf = (consumer: string, event: RecordedEvent, error: string, attempts: number, now: Date) => ({
  consumer,
  event_id: event.eventId,
  stream_id: event.streamId,
  revision: event.revision,
  position: event.position,
  event: JSON.stringify(event),
  error,
  attempts,
  status: 'open' as const,
  first_failed_at: now,
  last_failed_at: now,
});

/** Parks an event for a consumer (again, if it was parked before: the letter reopens). */
export async function insertDeadLetter(db: Kysely<Schema>, consumer: string, event: RecordedEvent, error: string, attempts: number): Promise<void> {
  const now = new Date();
  await db
    .insertInto('dead_letters')
    .values(letterOf(consumer, event, error, attempts, now))
    .onConflict((oc) => oc.columns(['consumer', 'event_id']).doUpdateSet({ error, attempts, status: 'open', last_failed_at: now, resolved_at: null }))
    .execute();
}

/**
 * Parks an event behind an earlier open letter of its stream. An event that has a letter of its own already
 * (a redelivery of the one that failed) keeps it as it is: its error and attempts are the record.
 */
export async function parkBehind(db: Kysely<Schema>, consumer: string, event: RecordedEvent): Promise<void> {
  await db
    .insertInto('dead_letters')
    .values(letterOf(consumer, event, PARKED_BEHIND, 0, new Date()))
    .onConflict((oc) => oc.columns(['consumer', 'event_id']).doNothing())
    .execute();
}

/** Which of these streams have an open letter for the consumer: their later events must park behind it. */
export async function streamsWithOpenLetters(db: Kysely<Schema>, consumer: string, streamIds: readonly string[]): Promise<Set<string>> {
  if (streamIds.length === 0) return new Set();
  // One array however many streams, planned at each run (see PLAN_PER_RUN in infrastructure/db).
  const rows = await db
    .selectFrom('dead_letters')
    .modifyFront(sql`/* plan per run */`)
    .select('stream_id')
    .distinct()
    .where('consumer', '=', consumer)
    .where('status', '=', 'open')
    .where('stream_id', '=', sql<string>`any(${[...streamIds]}::text[])`)
    .execute();
  return new Set(rows.map((row) => row.stream_id));
}

export type DeadLetterFilter = Readonly<{ consumer?: string; status?: DeadLetterStatus; limit: number; after?: string }>;

/** Oldest first; `after` is the id of the last letter of the previous page. */
export async function listDeadLetters(db: Kysely<Schema>, filter: DeadLetterFilter): Promise<{ items: DeadLetterView[]; nextCursor: string | null }> {
  let query = db.selectFrom('dead_letters').selectAll().orderBy('id').limit(filter.limit + 1);
  if (filter.consumer !== undefined) query = query.where('consumer', '=', filter.consumer);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.after !== undefined) query = query.where('id', '>', filter.after);
  const rows = await query.execute();
  const items = rows.slice(0, filter.limit).map(toView);
  return { items, nextCursor: rows.length > filter.limit ? items[items.length - 1]!.id : null };
}

/** Open letters by consumer name. */
export async function countOpenDeadLetters(db: Kysely<Schema>): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('dead_letters')
    .select(['consumer', (eb) => eb.fn.countAll<string>().as('count')])
    .where('status', '=', 'open')
    .groupBy('consumer')
    .execute();
  return new Map(rows.map((row) => [row.consumer, Number(row.count)]));
}

/**
 * Redelivers an open dead letter, and the letters of the same stream parked behind it, in revision order, to
 * its consumer, then marks them resolved. It must be the stream's first open letter: applying a later one
 * would leave a hole. A failure is recorded on the letter (safely worded) and reported to `onFailure`.
 */
export async function retryDeadLetter(
  db: Kysely<Schema>,
  consumers: readonly Redeliverable[],
  id: string,
  onFailure?: (error: unknown, letter: DeadLetterView) => void,
): Promise<DeadLetterView[]> {
  const letter = await openLetter(db, id);
  const consumer = consumers.find((candidate) => candidate.name === letter.consumer);
  if (consumer === undefined) {
    throw new IllegalState('DLQ.UNKNOWN_CONSUMER', `Dead letter ${id} belongs to ${letter.consumer}, which this version does not have`);
  }
  const letters = await db
    .selectFrom('dead_letters')
    .selectAll()
    .where('consumer', '=', letter.consumer)
    .where('stream_id', '=', letter.stream_id)
    .where('status', '=', 'open')
    .orderBy('revision')
    .execute();
  const first = letters[0];
  if (first !== undefined && String(first.id) !== String(letter.id)) {
    throw new IllegalState('DLQ.NOT_FIRST', `Dead letter ${first.id} of the same stream comes first; retry that one`);
  }
  try {
    await consumer.redeliver(letters.map((row) => row.event as RecordedEvent));
  } catch (error) {
    const summary = describeError(error);
    onFailure?.(error, toView(letter));
    await db
      .updateTable('dead_letters')
      .set((eb) => ({ error: summary, attempts: eb(eb.ref('attempts'), '+', 1), last_failed_at: new Date() }))
      .where('id', '=', letter.id)
      .execute();
    throw new IllegalState('DLQ.RETRY_FAILED', `Dead letter ${id} failed again: ${summary}`);
  }
  // A concurrent retry may have resolved them first: each letter is resolved once.
  const resolved = await db
    .updateTable('dead_letters')
    .set({ status: 'resolved', resolved_at: new Date() })
    .where('id', 'in', letters.map((row) => row.id))
    .where('status', '=', 'open')
    .returningAll()
    .execute();
  return resolved.sort((a, b) => Number(a.revision) - Number(b.revision)).map(toView);
}

/** Gives up on one letter. Letters parked behind it stay open: retry or discard them in turn. */
export async function discardDeadLetter(db: Kysely<Schema>, id: string): Promise<DeadLetterView> {
  await openLetter(db, id);
  const row = await db
    .updateTable('dead_letters')
    .set({ status: 'discarded', resolved_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw new IllegalState('DLQ.NOT_OPEN', `Dead letter ${id} was resolved or discarded meanwhile`);
  return toView(row);
}

async function openLetter(db: Kysely<Schema>, id: string): Promise<Selectable<DeadLettersTable>> {
  const letter = /^\d{1,18}$/.test(id) ? await db.selectFrom('dead_letters').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
  if (letter === undefined) throw new NotFound('DLQ.NOT_FOUND', `There is no dead letter ${id}`);
  if (letter.status !== 'open') throw new IllegalState('DLQ.NOT_OPEN', `Dead letter ${id} is already ${letter.status}`);
  return letter;
}

/** How the audit trail names a letter an operator acted on (whatever id they sent, bounded). */
export const deadLetterSubject = (id: string): string => `deadletter:${id.slice(0, 40)}`;

/** What the audit trail says of a discarded letter. */
export const describeDiscarded = (letter: DeadLetterView): string => `discarded: ${letter.consumer} ${letter.streamId}@${letter.revision} ${letter.type}`;
