// The audit read model: one row per AuditRecorded event, inserted once; entries never change, so a replay, which
// meets rows already there, inserts nothing.
import { sql, type Insertable, type Transaction } from 'kysely';
import type { AuditActor, AuditRecorded } from '../../domain/identity/audit-events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Schema } from '../schema.js';
import type { Projection } from '../projection.js';
import type { AuditEntriesTable } from './identity-schema.js';

type AuditRow = Insertable<AuditEntriesTable>;

/** The actor as the trail lists it: who, with which roles, through which key, and nothing else the event carried. */
const actorOf = ({ sub, roles, apiKeyId }: AuditActor): AuditActor => ({
  sub,
  ...(roles === undefined ? {} : { roles: [...roles] }),
  ...(apiKeyId === undefined ? {} : { apiKeyId }),
});

export function auditRow(event: RecordedEvent): AuditRow {
  const entry = (event as unknown as AuditRecorded).data;
  return {
    event_id: event.eventId,
    type: entry.type,
    actor_sub: entry.actor.sub,
    actor: JSON.stringify(actorOf(entry.actor)),
    method: entry.method,
    route: entry.route,
    ip: entry.ip,
    correlation_id: entry.correlationId,
    reason: entry.reason,
    subject: entry.subject,
    count: entry.count,
    occurred_at: new Date(entry.occurredAt),
  };
}

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map(auditRow);
  const column = <T>(pick: (row: AuditRow) => T): T[] => rows.map(pick);
  // One statement of one array per column, however many entries the writer flushed at once.
  await sql`
    insert into audit_entries (event_id, type, actor_sub, actor, method, route, ip, correlation_id, reason, subject, count, occurred_at)
    select * from unnest(${column((r) => r.event_id)}::uuid[], ${column((r) => r.type)}::text[], ${column((r) => r.actor_sub)}::text[],
      ${column((r) => r.actor)}::jsonb[], ${column((r) => r.method)}::text[], ${column((r) => r.route)}::text[], ${column((r) => r.ip)}::text[],
      ${column((r) => r.correlation_id)}::text[], ${column((r) => r.reason)}::text[], ${column((r) => r.subject ?? null)}::text[],
      ${column((r) => r.count)}::integer[], ${column((r) => r.occurred_at.toISOString())}::timestamptz[])
    on conflict (event_id) do nothing`.execute(tx);
}

export const auditProjection: Projection = {
  name: 'audit',
  version: 1,
  categories: ['audit'],
  handles: ['AuditRecorded'],
  tables: ['audit_entries'],
  apply,
};
