// Each social projection records the last revision it applied of every stream it reads, in a table of its own
// beside its rows: `apply` then changes nothing when handed an event again (a replay, a test applying the same
// history twice), whatever the runner's own bookkeeping did. Counts moved by events stay exact that way.
import { sql, type Transaction } from 'kysely';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Schema } from '../schema.js';

export type StreamRevisionsTableName = 'social_profile_streams' | 'social_conversation_streams' | 'social_notification_streams';

/** The events of the batch not applied yet, in order, with their streams' revisions recorded as applied. */
export async function freshEvents(tx: Transaction<Schema>, table: StreamRevisionsTableName, events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
  if (events.length === 0) return [];
  const streamIds = [...new Set(events.map((event) => event.streamId))];
  // Planned at each run (see PLAN_PER_RUN in infrastructure/db): a plan made while the table was empty reads it whole.
  const { rows } = await sql<{ stream_id: string; revision: number }>`
    select /* plan per run */ stream_id, revision from ${sql.table(table)} where stream_id = any(${streamIds}::text[])`.execute(tx);
  const applied = new Map(rows.map((row) => [row.stream_id, Number(row.revision)]));
  const reached = new Map<string, number>();
  const fresh: RecordedEvent[] = [];
  for (const event of events) {
    if (event.revision <= (reached.get(event.streamId) ?? applied.get(event.streamId) ?? -1)) continue;
    reached.set(event.streamId, event.revision);
    fresh.push(event);
  }
  if (reached.size > 0) {
    await sql`
      insert into ${sql.table(table)} as applied (stream_id, revision)
      select * from unnest(${[...reached.keys()]}::text[], ${[...reached.values()]}::integer[])
      on conflict (stream_id) do update set revision = greatest(applied.revision, excluded.revision)`.execute(tx);
  }
  return fresh;
}
