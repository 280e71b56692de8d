// The feedback read model: one row per feedback, folded by a pure evolve and stored with one upsert per batch,
// plus running totals by status, rating, day, category and sentiment, moved by each row's before and after.
import { sql, type Selectable, type Transaction } from 'kysely';
import { assertNever } from '../../domain/kernel/decider.js';
import { FEEDBACK_EVENT_TYPES, type FeedbackEvent } from '../../domain/feedback/events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Schema } from '../schema.js';
import type { Projection } from '../projection.js';
import type { FeedbackCountsTable, FeedbackTable } from './feedback-schema.js';

export type FeedbackRow = Selectable<FeedbackTable>;

export function evolve(row: FeedbackRow | null, event: RecordedEvent): FeedbackRow | null {
  if (row !== null && event.revision <= row.revision) return row; // already applied: a replay changes nothing
  const feedbackEvent = event as unknown as FeedbackEvent;
  switch (feedbackEvent.type) {
    case 'FeedbackSubmitted': {
      const { feedbackId, text, rating, channel, appVersion, customerId, submittedAt } = feedbackEvent.data;
      const at = new Date(submittedAt);
      return {
        id: feedbackId,
        text,
        rating,
        channel,
        app_version: appVersion,
        customer_id: customerId,
        status: 'open',
        note: null,
        category: null,
        sentiment: null,
        confidence: null,
        ai_provider: null,
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
    case 'FeedbackCategorized': {
      if (row === null) return null;
      const { category, sentiment, confidence, provider } = feedbackEvent.data;
      return { ...row, category, sentiment, confidence, ai_provider: provider, revision: event.revision };
    }
    default:
      return assertNever(feedbackEvent);
  }
}

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return; // an empty batch reads and writes nothing
  const ids = [...new Set(events.map((event) => (event.data as { feedbackId: string }).feedbackId))];
  // Planned at each run (see PLAN_PER_RUN in infrastructure/db): a plan made while the table was nearly empty
  // would go on reading it whole.
  const before = new Map(
    (
      await tx
        .selectFrom('feedback')
        .modifyFront(sql`/* plan per run */`)
        .selectAll()
        .where('id', '=', sql<string>`any(${ids}::uuid[])`)
        .execute()
    ).map((row) => [row.id, row]),
  );
  const after = new Map<string, FeedbackRow | null>(before);
  for (const event of events) {
    const id = (event.data as { feedbackId: string }).feedbackId;
    after.set(id, evolve(after.get(id) ?? null, event));
  }
  const changed = [...after.values()].filter((row): row is FeedbackRow => row !== null && row !== before.get(row.id));
  if (changed.length === 0) return;
  await upsertRows(tx, changed);
  const deltas = countDeltas(changed.map((row) => [before.get(row.id) ?? null, row]));
  if (deltas.length === 0) return;
  await tx
    .insertInto('feedback_counts')
    .values(deltas)
    .onConflict((oc) => oc.columns(['dimension', 'key']).doUpdateSet((eb) => ({ count: eb(eb.ref('feedback_counts.count'), '+', eb.ref('excluded.count')) })))
    .execute();
  // A total that falls to zero goes, so that the rows never depend on how the log was cut into batches (a rebuild
  // that sees a submission and its status change in one batch never writes the zero that two batches leave).
  const falling = deltas.filter((delta) => delta.count < 0);
  if (falling.length === 0) return;
  await sql`
    delete from feedback_counts
    where count = 0 and (dimension, key) in (select * from unnest(${falling.map((d) => d.dimension)}::text[], ${falling.map((d) => d.key)}::text[]))`.execute(tx);
}

/**
 * The changed rows in one statement of one array per column: fifteen parameters however many rows, where a
 * multi-row VALUES would take fifteen per row and be parsed and planned afresh for every batch size.
 */
async function upsertRows(tx: Transaction<Schema>, rows: readonly FeedbackRow[]): Promise<void> {
  const column = <T>(pick: (row: FeedbackRow) => T): T[] => rows.map(pick);
  await sql`
    insert into feedback (id, text, rating, channel, app_version, customer_id, status, note, category, sentiment, confidence, ai_provider, revision, submitted_at, updated_at)
    select * from unnest(${column((r) => r.id)}::uuid[], ${column((r) => r.text)}::text[], ${column((r) => r.rating)}::smallint[],
      ${column((r) => r.channel)}::text[], ${column((r) => r.app_version)}::text[], ${column((r) => r.customer_id)}::text[], ${column((r) => r.status)}::text[], ${column((r) => r.note)}::text[],
      ${column((r) => r.category)}::text[], ${column((r) => r.sentiment)}::text[], ${column((r) => r.confidence)}::real[], ${column((r) => r.ai_provider)}::text[],
      ${column((r) => r.revision)}::integer[], ${column((r) => r.submitted_at.toISOString())}::timestamptz[], ${column((r) => r.updated_at.toISOString())}::timestamptz[])
    on conflict (id) do update set status = excluded.status, note = excluded.note, category = excluded.category, sentiment = excluded.sentiment,
      confidence = excluded.confidence, ai_provider = excluded.ai_provider, revision = excluded.revision, updated_at = excluded.updated_at`.execute(tx);
}

type Count = FeedbackCountsTable;

/** The (dimension, key) pairs a row counts towards. */
export function countedAs(row: FeedbackRow): [Count['dimension'], string][] {
  const keys: [Count['dimension'], string][] = [
    ['status', row.status],
    ['day', row.submitted_at.toISOString().slice(0, 10)],
  ];
  if (row.rating !== null) keys.push(['rating', String(row.rating)]);
  if (row.category !== null) keys.push(['category', row.category]);
  if (row.sentiment !== null) keys.push(['sentiment', row.sentiment]);
  return keys;
}

function countDeltas(changes: readonly [FeedbackRow | null, FeedbackRow][]): Count[] {
  const deltas = new Map<string, Count>();
  const add = (row: FeedbackRow, by: number): void => {
    for (const [dimension, key] of countedAs(row)) {
      const id = `${dimension}:${key}`;
      const entry = deltas.get(id) ?? { dimension, key, count: 0 };
      entry.count += by;
      deltas.set(id, entry);
    }
  };
  for (const [previous, next] of changes) {
    if (previous !== null) add(previous, -1);
    add(next, +1);
  }
  return [...deltas.values()].filter((delta) => delta.count !== 0);
}

export const feedbackProjection: Projection = {
  name: 'feedback',
  // 2: FeedbackSubmitted's source became channel and appVersion (migration 0014_feedback_channel parts stored rows).
  version: 2,
  categories: ['feedback'],
  handles: FEEDBACK_EVENT_TYPES,
  tables: ['feedback', 'feedback_counts'],
  apply,
};
