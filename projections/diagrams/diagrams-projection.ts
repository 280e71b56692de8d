// The diagrams read model: one row per diagram folded by a pure evolve, guarded by its stream's revision (an event
// at or below it changes nothing), and one row per version, inserted once by (diagram, version). Applying the same
// events twice leaves the same rows.
import { sql, type Selectable, type Transaction } from 'kysely';
import { assertNever } from '../../domain/kernel/decider.js';
import { DIAGRAM_EVENT_TYPES, type DiagramEvent } from '../../domain/diagrams/diagram-events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Schema } from '../schema.js';
import type { Projection } from '../projection.js';
import type { DiagramsTable, DiagramVersionsTable } from './diagrams-schema.js';

/** A diagram row as evolve folds it: without its tsvector (SQL computes it). */
export type DiagramRow = Omit<Selectable<DiagramsTable>, 'search'>;

/** The searched part of a source: PostgreSQL's tsvector holds at most 1 MB, which a hostile 200k source could pass. */
const SEARCHED_SOURCE_CHARS = 50_000;

export function evolve(row: DiagramRow | null, event: RecordedEvent): DiagramRow | null {
  if (row !== null && event.revision <= row.revision) return row; // already applied: a replay changes nothing
  const diagramEvent = event as unknown as DiagramEvent;
  const touched = (at: string): Pick<DiagramRow, 'revision' | 'position' | 'updated_at'> => ({ revision: event.revision, position: event.position, updated_at: new Date(at) });
  switch (diagramEvent.type) {
    case 'DiagramCreated':
    case 'DiagramGenerated': {
      const { diagramId, ownerId, title, format, visibility, source, sourceHash, createdAt } = diagramEvent.data;
      const generated = diagramEvent.type === 'DiagramGenerated' ? diagramEvent.data : null;
      return {
        id: diagramId,
        owner_id: ownerId,
        title,
        format,
        visibility,
        latest_version: 1,
        source,
        source_hash: sourceHash,
        deleted: false,
        prompt: generated?.prompt ?? null,
        ai_provider: generated?.provider ?? null,
        ai_model: generated?.model ?? null,
        created_at: new Date(createdAt),
        ...touched(createdAt),
      };
    }
    case 'DiagramVersionAdded': {
      if (row === null) return null;
      const { version, source, sourceHash, addedAt } = diagramEvent.data;
      return { ...row, latest_version: version, source, source_hash: sourceHash, ...touched(addedAt) };
    }
    case 'DiagramRenamed':
      return row === null ? null : { ...row, title: diagramEvent.data.title, ...touched(diagramEvent.data.renamedAt) };
    case 'DiagramDeleted':
      return row === null ? null : { ...row, deleted: true, ...touched(diagramEvent.data.deletedAt) };
    case 'DiagramUndeleted':
      return row === null ? null : { ...row, deleted: false, ...touched(diagramEvent.data.undeletedAt) };
    default:
      return assertNever(diagramEvent);
  }
}

/** The version an event records, if it records one. */
function versionOf(event: RecordedEvent): Selectable<DiagramVersionsTable> | null {
  const diagramEvent = event as unknown as DiagramEvent;
  switch (diagramEvent.type) {
    case 'DiagramCreated':
    case 'DiagramGenerated': {
      const { diagramId, source, sourceHash, message, ownerId, createdAt } = diagramEvent.data;
      return { diagram_id: diagramId, version: 1, source, source_hash: sourceHash, message, author: ownerId, created_at: new Date(createdAt), restored_from: null };
    }
    case 'DiagramVersionAdded': {
      const { diagramId, version, source, sourceHash, message, addedBy, addedAt, restoredFrom } = diagramEvent.data;
      return { diagram_id: diagramId, version, source, source_hash: sourceHash, message, author: addedBy, created_at: new Date(addedAt), restored_from: restoredFrom };
    }
    default:
      return null;
  }
}

/** The stored columns of a diagram but its tsvector. */
export const DIAGRAM_COLUMNS = [
  'id', 'owner_id', 'title', 'format', 'visibility', 'latest_version', 'source', 'source_hash', 'deleted', 'prompt', 'ai_provider', 'ai_model',
  'revision', 'position', 'created_at', 'updated_at',
] as const;

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const ids = [...new Set(events.map((event) => (event.data as { diagramId: string }).diagramId))];
  // Planned at each run (see PLAN_PER_RUN in infrastructure/db).
  const stored = await tx.selectFrom('diagrams').modifyFront(sql`/* plan per run */`).select(DIAGRAM_COLUMNS).where('id', '=', sql<string>`any(${ids}::uuid[])`).execute();
  const before = new Map<string, DiagramRow>(stored.map((row) => [row.id, row]));
  const after = new Map<string, DiagramRow | null>(before);
  const versions: Selectable<DiagramVersionsTable>[] = [];
  for (const event of events) {
    const id = (event.data as { diagramId: string }).diagramId;
    const previous = after.get(id) ?? null;
    const next = evolve(previous, event);
    after.set(id, next);
    const version = next !== null && next !== previous ? versionOf(event) : null;
    if (version !== null) versions.push(version);
  }
  for (const row of after.values()) {
    if (row === null || row === before.get(row.id)) continue;
    const { id, ...rest } = row;
    const search = sql<string>`to_tsvector('english', ${`${row.title}\n${row.source.slice(0, SEARCHED_SOURCE_CHARS)}`})`;
    await tx
      .insertInto('diagrams')
      .values({ id, ...rest, search })
      .onConflict((oc) => oc.column('id').doUpdateSet({ ...rest, search }))
      .execute();
  }
  for (const version of versions) {
    await tx.insertInto('diagram_versions').values(version).onConflict((oc) => oc.columns(['diagram_id', 'version']).doNothing()).execute();
  }
}

export const diagramsProjection: Projection = {
  name: 'diagrams',
  version: 1,
  categories: ['diagram'],
  handles: DIAGRAM_EVENT_TYPES,
  tables: ['diagrams', 'diagram_versions'],
  apply,
};
