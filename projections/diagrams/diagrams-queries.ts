// Reads of the diagrams read model: one diagram (its latest version), a filtered and searched page of the diagrams
// a caller may see, a diagram's versions (latest first) and one of them, and the frames of the live stream.
import { sql, type Kysely } from 'kysely';
import { mayView, type DiagramActor } from '../../domain/diagrams/diagram-commands.js';
import type { DiagramFormat, DiagramVisibility } from '../../domain/diagrams/diagram-events.js';
import { ValidationError } from '../../domain/kernel/errors.js';
import { decodeCursor, encodeCursor } from '../keyset-cursor.js';
import type { Schema } from '../schema.js';
import { DIAGRAM_COLUMNS, type DiagramRow } from './diagrams-projection.js';
import type { DiagramVersionsTable } from './diagrams-schema.js';

export type Page<T> = Readonly<{ items: T[]; nextCursor: string | null }>;


export type DiagramSummary = Readonly<{
  id: string;
  ownerId: string;
  title: string;
  format: DiagramFormat;
  visibility: DiagramVisibility;
  latestVersion: number;
  deleted: boolean;
  generated: Readonly<{ prompt: string; provider: string; model: string }> | null;
  revision: number;
  createdAt: string;
  updatedAt: string;
}>;

export type DiagramView = DiagramSummary & Readonly<{ source: string; sourceHash: string }>;

export type VersionSummary = Readonly<{ version: number; sourceHash: string; message: string | null; author: string; createdAt: string; restoredFrom: number | null }>;
export type VersionView = VersionSummary & Readonly<{ diagramId: string; source: string }>;

const summaryOf = (row: Omit<DiagramRow, 'source'>): DiagramSummary => ({
  id: row.id,
  ownerId: row.owner_id,
  title: row.title,
  format: row.format,
  visibility: row.visibility,
  latestVersion: row.latest_version,
  deleted: row.deleted,
  generated: row.prompt === null || row.ai_provider === null || row.ai_model === null ? null : { prompt: row.prompt, provider: row.ai_provider, model: row.ai_model },
  revision: row.revision,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Whether the reader may see the row (the domain's rule). */
export const rowVisibleTo = (row: Pick<DiagramRow, 'owner_id' | 'visibility' | 'deleted'>, reader: DiagramActor): boolean =>
  mayView({ ownerId: row.owner_id, visibility: row.visibility, deleted: row.deleted }, reader);

/** The diagram with its latest source, if it exists and the reader may see it. */
export async function findDiagram(db: Kysely<Schema>, id: string, reader: DiagramActor): Promise<DiagramView | undefined> {
  const row = await db.selectFrom('diagrams').select(DIAGRAM_COLUMNS).where('id', '=', id).executeTakeFirst();
  if (row === undefined || !rowVisibleTo(row, reader)) return undefined;
  return { ...summaryOf(row), source: row.source, sourceHash: row.source_hash };
}

export type DiagramFilter = Readonly<{
  /** A user id: only their diagrams. */
  owner?: string;
  /** Full text over the title and the latest source (websearch syntax). */
  q?: string;
  format?: DiagramFormat;
  /** true: only deleted diagrams (of the reader's own, or all for an admin); false (the default): the others. */
  deleted: boolean;
  limit: number;
  cursor?: string;
}>;

/** Newest first; the reader's own diagrams and everyone's shared ones (admins: all). Sources are left out. */
export async function listDiagrams(db: Kysely<Schema>, { owner, q, format, deleted, limit, cursor }: DiagramFilter, reader: DiagramActor): Promise<Page<DiagramSummary>> {
  let query = db
    .selectFrom('diagrams')
    .select(DIAGRAM_COLUMNS.filter((column) => column !== 'source'))
    .where('deleted', '=', deleted)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (!reader.admin) {
    query = deleted ? query.where('owner_id', '=', reader.sub) : query.where((eb) => eb.or([eb('owner_id', '=', reader.sub), eb('visibility', '=', 'shared')]));
  }
  if (owner !== undefined) query = query.where('owner_id', '=', owner);
  if (format !== undefined) query = query.where('format', '=', format);
  if (q !== undefined) query = query.where(sql<boolean>`search @@ websearch_to_tsquery('english', ${q})`);
  if (cursor !== undefined) {
    const [afterAt, afterId] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(afterAt, afterId)));
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(summaryOf),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.created_at, last.id) : null,
  };
}

const versionSummaryOf = (row: Omit<DiagramVersionsTable, 'source' | 'diagram_id'>): VersionSummary => ({
  version: row.version,
  sourceHash: row.source_hash,
  message: row.message,
  author: row.author,
  createdAt: row.created_at.toISOString(),
  restoredFrom: row.restored_from,
});

/** A version cursor: the last version of the page, base64url JSON, opaque to clients. */
const encodeVersionCursor = (version: number): string => Buffer.from(JSON.stringify([version])).toString('base64url');

function decodeVersionCursor(cursor: string): number {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 1 && Number.isSafeInteger(decoded[0]) && (decoded[0] as number) >= 1 && (decoded[0] as number) <= 2 ** 31 - 1) {
      return decoded[0] as number;
    }
  } catch {
    // fall through: any undecodable cursor gets the same answer
  }
  throw new ValidationError('QUERY.INVALID_CURSOR', 'The cursor is not one this API issued', [{ path: 'query.cursor', message: 'Invalid cursor' }]);
}

/** A diagram's versions, latest first, without their sources. */
export async function listVersions(db: Kysely<Schema>, diagramId: string, { limit, cursor }: { limit: number; cursor?: string }): Promise<Page<VersionSummary>> {
  let query = db
    .selectFrom('diagram_versions')
    .select(['version', 'source_hash', 'message', 'author', 'created_at', 'restored_from'])
    .where('diagram_id', '=', diagramId)
    .orderBy('version', 'desc')
    .limit(limit + 1);
  if (cursor !== undefined) query = query.where('version', '<', decodeVersionCursor(cursor));
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(versionSummaryOf), nextCursor: rows.length > limit && last !== undefined ? encodeVersionCursor(last.version) : null };
}

/** Versions of a diagram with their sources, by number. */
export async function findVersions(db: Kysely<Schema>, diagramId: string, versions: readonly number[]): Promise<Map<number, VersionView>> {
  const rows = await db.selectFrom('diagram_versions').selectAll().where('diagram_id', '=', diagramId).where('version', 'in', versions).execute();
  return new Map(rows.map((row) => [row.version, { ...versionSummaryOf(row), diagramId: row.diagram_id, source: row.source }]));
}

/** What a live stream sends: the diagram's latest version and title, at its latest event's position. */
export type DiagramLiveFrame = Readonly<{ diagramId: string; title: string; latestVersion: number; revision: number; deleted: boolean; updatedAt: string }>;

export async function liveDiagrams(db: Kysely<Schema>, ids: readonly string[]): Promise<Map<string, { position: string; data: DiagramLiveFrame }>> {
  const rows = await db
    .selectFrom('diagrams')
    .select(['id', 'title', 'latest_version', 'revision', 'deleted', 'updated_at', 'position'])
    .where('id', '=', sql<string>`any(${ids}::uuid[])`)
    .execute();
  return new Map(
    rows.map((row) => [
      row.id,
      { position: row.position, data: { diagramId: row.id, title: row.title, latestVersion: row.latest_version, revision: row.revision, deleted: row.deleted, updatedAt: row.updated_at.toISOString() } },
    ]),
  );
}
