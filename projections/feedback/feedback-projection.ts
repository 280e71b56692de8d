// The feedback read model: one row per feedback, folded by a pure evolve and stored with one upsert per batch.
import type { Selectable, Transaction } from 'kysely';
import { assertNever } from '../../domain/kernel/decider.js';
import { FEEDBACK_EVENT_TYPES, type FeedbackEvent } from '../../domain/feedback/events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Schema } from '../../infrastructure/db/schema.js';
import type { Projection } from '../projection.js';
import type { FeedbackTable } from './feedback-table.js';

export type FeedbackRow = Selectable<FeedbackTable>;

export function evolve(row: FeedbackRow | null, event: RecordedEvent): FeedbackRow | null {
  if (row !== null && event.revision <= row.revision) return row; // already applied: a replay changes nothing
  const feedbackEvent = event as unknown as FeedbackEvent;
  switch (feedbackEvent.type) {
    case 'FeedbackSubmitted': {
      const { feedbackId, text, rating, source, customerId, submittedAt } = feedbackEvent.data;
      const at = new Date(submittedAt);
      return {
        id: feedbackId,
        text,
        rating,
        source,
        customer_id: customerId,
        status: 'open',
        note: null,
        revision: event.revision,
        submitted_at: at,
        updated_at: at,
      };
    }
    case 'FeedbackStatusChanged': {
      if (row === null) return null;
      const { to, note, changedAt } = feedbackEvent.data;
      return { ...row, status: to, note, revision: event.revision, updated_at: new Date(changedAt) };
    }
    default:
      return assertNever(feedbackEvent);
  }
}

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  const ids = [...new Set(events.map((event) => (event.data as { feedbackId: string }).feedbackId))];
  const existing = await tx.selectFrom('feedback').selectAll().where('id', 'in', ids).execute();
  const rows = new Map<string, FeedbackRow | null>(existing.map((row) => [row.id, row]));
  for (const event of events) {
    const id = (event.data as { feedbackId: string }).feedbackId;
    rows.set(id, evolve(rows.get(id) ?? null, event));
  }
  const changed = [...rows.values()].filter((row): row is FeedbackRow => row !== null);
  if (changed.length === 0) return;
  await tx
    .insertInto('feedback')
    .values(changed)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        note: eb.ref('excluded.note'),
        revision: eb.ref('excluded.revision'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

export const feedbackProjection: Projection = {
  name: 'feedback',
  version: 1,
  categories: ['feedback'],
  handles: FEEDBACK_EVENT_TYPES,
  apply,
};
