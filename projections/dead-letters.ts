// Operators' handling of dead letters: list them, retry them once the cause is fixed, or discard them.
import { sql, type Kysely, type Selectable } from 'kysely';
import { IllegalState, NotFound } from '../domain/kernel/errors.js';
import type { RecordedEvent } from '../application/ports/event-store.js';
import type { DeadLettersTable, DeadLetterStatus, Schema } from '../infrastructure/db/schema.js';
import type { Projection } from './projection.js';

export type DeadLetterView = Readonly<{
  id: string;
  projection: string;
  eventId: string;
  streamId: string;
  revision: number;
  type: string;
  position: string;
  error: string;
  attempts: number;
  status: DeadLetterStatus;
  firstFailedAt: string;
  lastFailedAt: string;
  resolvedAt: string | null;
}>;

const toView = (row: Selectable<DeadLettersTable>): DeadLetterView => ({
  id: String(row.id),
  projection: row.projection,
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

export type DeadLetterFilter = Readonly<{ projection?: string; status?: DeadLetterStatus; limit: number; after?: string }>;

/** Oldest first; `after` is the id of the last letter of the previous page. */
export async function listDeadLetters(db: Kysely<Schema>, filter: DeadLetterFilter): Promise<{ items: DeadLetterView[]; nextCursor: string | null }> {
  let query = db.selectFrom('dead_letters').selectAll().orderBy('id').limit(filter.limit + 1);
  if (filter.projection !== undefined) query = query.where('projection', '=', filter.projection);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.after !== undefined) query = query.where('id', '>', filter.after);
  const rows = await query.execute();
  const items = rows.slice(0, filter.limit).map(toView);
  return { items, nextCursor: rows.length > filter.limit ? items[items.length - 1]!.id : null };
}

export async function countOpenDeadLetters(db: Kysely<Schema>): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('dead_letters')
    .select(['projection', (eb) => eb.fn.countAll<string>().as('count')])
    .where('status', '=', 'open')
    .groupBy('projection')
    .execute();
  return new Map(rows.map((row) => [row.projection, Number(row.count)]));
}

/**
 * Applies an open dead letter, and the letters of the same stream parked behind it, in revision order and
 * in one transaction. It must be the stream's first open letter: applying a later one would leave a hole.
 */
export async function retryDeadLetter(db: Kysely<Schema>, projections: readonly Projection[], id: string): Promise<DeadLetterView[]> {
  const letter = await openLetter(db, id);
  const projection = projections.find((candidate) => candidate.name === letter.projection);
  if (projection === undefined) {
    throw new IllegalState('DLQ.UNKNOWN_PROJECTION', `Dead letter ${id} belongs to projection ${letter.projection}, which this version does not have`);
  }
  try {
    return await db.transaction().execute(async (tx) => {
      const letters = await tx
        .selectFrom('dead_letters')
        .selectAll()
        .where('projection', '=', letter.projection)
        .where('stream_id', '=', letter.stream_id)
        .where('status', '=', 'open')
        .orderBy('revision')
        .forUpdate()
        .execute();
      if (letters[0]?.id !== undefined && String(letters[0].id) !== String(letter.id)) {
        throw new IllegalState('DLQ.NOT_FIRST', `Dead letter ${letters[0].id} of the same stream comes first; retry that one`);
      }
      const applied = await tx
        .selectFrom('projection_streams')
        .select('revision')
        .where('projection', '=', letter.projection)
        .where('stream_id', '=', letter.stream_id)
        .executeTakeFirst();
      const events = letters.map((row) => row.event as RecordedEvent).filter((event) => event.revision > Number(applied?.revision ?? -1));
      if (events.length > 0) {
        await projection.apply(tx, events);
        const revision = events[events.length - 1]!.revision;
        await tx
          .insertInto('projection_streams')
          .values({ projection: letter.projection, stream_id: letter.stream_id, revision })
          .onConflict((oc) => oc.columns(['projection', 'stream_id']).doUpdateSet({ revision }))
          .execute();
        await tx
          .updateTable('projections')
          .set({ applied_batches: sql<string>`applied_batches + 1`, updated_at: new Date() })
          .where('name', '=', letter.projection)
          .execute();
      }
      const resolved = await tx
        .updateTable('dead_letters')
        .set({ status: 'resolved', resolved_at: new Date() })
        .where('id', 'in', letters.map((row) => row.id))
        .returningAll()
        .execute();
      return resolved.map(toView);
    });
  } catch (error) {
    if (error instanceof IllegalState) throw error;
    const message = error instanceof Error ? error.message : String(error);
    await db
      .updateTable('dead_letters')
      .set((eb) => ({ error: message, attempts: eb(eb.ref('attempts'), '+', 1), last_failed_at: new Date() }))
      .where('id', '=', letter.id)
      .execute();
    throw new IllegalState('DLQ.RETRY_FAILED', `Dead letter ${id} failed again: ${message}`);
  }
}

/** Gives up on one letter. Letters parked behind it stay open: retry or discard them in turn. */
export async function discardDeadLetter(db: Kysely<Schema>, id: string): Promise<DeadLetterView> {
  await openLetter(db, id);
  const row = await db
    .updateTable('dead_letters')
    .set({ status: 'discarded', resolved_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toView(row);
}

async function openLetter(db: Kysely<Schema>, id: string): Promise<Selectable<DeadLettersTable>> {
  const letter = /^\d{1,18}$/.test(id) ? await db.selectFrom('dead_letters').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
  if (letter === undefined) throw new NotFound('DLQ.NOT_FOUND', `There is no dead letter ${id}`);
  if (letter.status !== 'open') throw new IllegalState('DLQ.NOT_OPEN', `Dead letter ${id} is already ${letter.status}`);
  return letter;
}
