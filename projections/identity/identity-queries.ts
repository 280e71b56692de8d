// Reads of the identity read models: API keys and the audit trail, each a filtered page, newest first, by keyset.
import type { Kysely, Selectable } from 'kysely';
import type { AuditEntry, AuditType } from '../../domain/identity/audit-events.js';
import { decodeCursor, encodeCursor } from '../keyset-cursor.js';
import type { Schema } from '../schema.js';
import type { ApiKeyRow } from './api-keys-projection.js';
import type { AuditEntriesTable } from './identity-schema.js';

export type Page<T> = Readonly<{ items: T[]; nextCursor: string | null }>;

export type ApiKeyView = Readonly<{
  id: string;
  ownerId: string;
  name: string;
  roles: string[];
  createdAt: string;
  revokedAt: string | null;
  status: 'active' | 'revoked';
}>;

const apiKeyView = (row: ApiKeyRow): ApiKeyView => ({
  id: row.id,
  ownerId: row.owner_id,
  name: row.name,
  roles: [...row.roles],
  createdAt: row.created_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
  status: row.revoked_at === null ? 'active' : 'revoked',
});

export type ApiKeyFilter = Readonly<{ ownerId?: string; limit: number; cursor?: string }>;

export async function listApiKeys(db: Kysely<Schema>, { ownerId, limit, cursor }: ApiKeyFilter): Promise<Page<ApiKeyView>> {
  let query = db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
  if (ownerId !== undefined) query = query.where('owner_id', '=', ownerId);
  if (cursor !== undefined) {
    const [afterAt, afterId] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(afterAt, afterId)));
  }
  return pageOf(await query.execute(), limit, apiKeyView, (row) => encodeCursor(row.created_at, row.id));
}

/** An audit entry as it was recorded, with the id of its AuditRecorded event. */
export type AuditView = AuditEntry & Readonly<{ id: string }>;

const auditView = (row: Selectable<AuditEntriesTable>): AuditView => ({
  id: row.event_id,
  type: row.type,
  actor: row.actor,
  method: row.method,
  route: row.route,
  ip: row.ip,
  correlationId: row.correlation_id,
  reason: row.reason,
  subject: row.subject,
  count: row.count,
  occurredAt: row.occurred_at.toISOString(),
});

export type AuditFilter = Readonly<{
  type?: string;
  /** The actor's sub. */
  actor?: string;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  limit: number;
  cursor?: string;
}>;

export async function listAudit(db: Kysely<Schema>, { type, actor, since, until, limit, cursor }: AuditFilter): Promise<Page<AuditView>> {
  let query = db.selectFrom('audit_entries').selectAll().orderBy('occurred_at', 'desc').orderBy('event_id', 'desc').limit(limit + 1);
  // A type the trail does not know is a filter no row matches, not an error.
  if (type !== undefined) query = query.where('type', '=', type as AuditType);
  if (actor !== undefined) query = query.where('actor_sub', '=', actor);
  if (since !== undefined) query = query.where('occurred_at', '>=', since);
  if (until !== undefined) query = query.where('occurred_at', '<', until);
  if (cursor !== undefined) {
    const [afterAt, afterId] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('occurred_at', 'event_id'), '<', eb.tuple(afterAt, afterId)));
  }
  return pageOf(await query.execute(), limit, auditView, (row) => encodeCursor(row.occurred_at, row.event_id));
}

/** `limit` rows of the `limit + 1` read, and a cursor after the last when there were more. */
function pageOf<Row, View>(rows: readonly Row[], limit: number, view: (row: Row) => View, cursorOf: (row: Row) => string): Page<View> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(view), nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

