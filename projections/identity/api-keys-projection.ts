// The API keys read model: one row per key, folded by a pure evolve and stored with one upsert per batch.
// The key's hash is never copied here: only the login path needs it, and it reads the key's stream.
import { sql, type Selectable, type Transaction } from 'kysely';
import { assertNever } from '../../domain/kernel/decider.js';
import { API_KEY_EVENT_TYPES, type ApiKeyEvent } from '../../domain/identity/api-key-events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Schema } from '../schema.js';
import type { Projection } from '../projection.js';
import type { ApiKeysTable } from './identity-schema.js';

export type ApiKeyRow = Selectable<ApiKeysTable>;

export function evolve(row: ApiKeyRow | null, event: RecordedEvent): ApiKeyRow | null {
  if (row !== null && event.revision <= row.revision) return row; // already applied: a replay changes nothing
  const apiKeyEvent = event as unknown as ApiKeyEvent;
  switch (apiKeyEvent.type) {
    case 'ApiKeyCreated': {
      const { apiKeyId, ownerId, name, roles, createdAt } = apiKeyEvent.data;
      return {
        id: apiKeyId,
        owner_id: ownerId,
        name,
        roles: [...roles],
        created_at: new Date(createdAt),
        revoked_at: null,
        revoked_by: null,
        revision: event.revision,
      };
    }
    case 'ApiKeyRevoked': {
      if (row === null) return null;
      const { revokedBy, revokedAt } = apiKeyEvent.data;
      return { ...row, revoked_at: new Date(revokedAt), revoked_by: revokedBy, revision: event.revision };
    }
    default:
      return assertNever(apiKeyEvent);
  }
}

const apiKeyIdOf = (event: RecordedEvent): string => (event.data as { apiKeyId: string }).apiKeyId;

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return; // an empty batch reads and writes nothing
  const ids = [...new Set(events.map(apiKeyIdOf))];
  // Planned at each run (see PLAN_PER_RUN in infrastructure/db), as the feedback projection's lookup is.
  const before = new Map(
    (
      await tx
        .selectFrom('api_keys')
        .modifyFront(sql`/* plan per run */`)
        .selectAll()
        .where('id', '=', sql<string>`any(${ids}::uuid[])`)
        .execute()
    ).map((row) => [row.id, row]),
  );
  const after = new Map<string, ApiKeyRow | null>(before);
  for (const event of events) {
    const id = apiKeyIdOf(event);
    after.set(id, evolve(after.get(id) ?? null, event));
  }
  const changed = [...after.values()].filter((row): row is ApiKeyRow => row !== null && row !== before.get(row.id));
  if (changed.length > 0) await upsertRows(tx, changed);
}

/**
 * The changed rows in one statement of one array per column, however many rows. Only what a later event can
 * change is updated, and only by a newer revision.
 */
async function upsertRows(tx: Transaction<Schema>, rows: readonly ApiKeyRow[]): Promise<void> {
  const column = <T>(pick: (row: ApiKeyRow) => T): T[] => rows.map(pick);
  await sql`
    insert into api_keys (id, owner_id, name, roles, created_at, revoked_at, revoked_by, revision)
    select * from unnest(${column((r) => r.id)}::uuid[], ${column((r) => r.owner_id)}::text[], ${column((r) => r.name)}::text[],
      ${column((r) => JSON.stringify(r.roles))}::jsonb[], ${column((r) => r.created_at.toISOString())}::timestamptz[],
      ${column((r) => r.revoked_at?.toISOString() ?? null)}::timestamptz[], ${column((r) => r.revoked_by)}::text[], ${column((r) => r.revision)}::integer[])
    on conflict (id) do update set revoked_at = excluded.revoked_at, revoked_by = excluded.revoked_by, revision = excluded.revision
      where api_keys.revision < excluded.revision`.execute(tx);
}

export const apiKeysProjection: Projection = {
  name: 'api-keys',
  version: 1,
  categories: ['apikey'],
  handles: API_KEY_EVENT_TYPES,
  tables: ['api_keys'],
  apply,
};
