// The diagrams routes: versioned Mermaid and DOT sources that members own. Private diagrams exist only for their
// owner (and admins): anyone else is answered 404, never 403. Shared ones every reader sees and every writer may add
// versions to (If-Match keeps two editors from overwriting each other); only the owner renames, deletes, undeletes.
import type { Context } from 'koa';
import type { Kysely } from 'kysely';
import { createTwoFilesPatch } from 'diff';
import { z } from 'zod';
import {
  addDiagramVersion,
  createDiagram,
  deleteDiagram,
  renameDiagram,
  restoreDiagramVersion,
  undeleteDiagram,
  type DiagramCommandResult,
} from '../../application/diagrams/diagram-commands.js';
import type { DiagramRenderer, SourceProblem } from '../../application/diagrams/diagram-renderer.js';
import { mayView, type DiagramActor } from '../../domain/diagrams/diagram-commands.js';
import { checkMermaidSource } from '../../domain/diagrams/mermaid-check.js';
import {
  DIAGRAM_FORMATS,
  DIAGRAM_MESSAGE_MAX_LENGTH,
  DIAGRAM_SOURCE_MAX_LENGTH,
  DIAGRAM_TITLE_MAX_LENGTH,
  DIAGRAM_VISIBILITIES,
  diagramStreamId,
  type DiagramCreation,
  type DiagramEvent,
  type DiagramFormat,
} from '../../domain/diagrams/diagram-events.js';
import { codePointLength } from '../../domain/drafts/draft.js';
import type { Role } from '../../domain/identity/roles.js';
import { NotFound, ValidationError, type FieldError } from '../../domain/kernel/errors.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import type { Schema } from '../../projections/schema.js';
import { diagramsProjection } from '../../projections/diagrams/diagrams-projection.js';
import {
  rowVisibleTo,
  findDiagram,
  findVersions,
  listDiagrams,
  listVersions,
  liveDiagrams,
  type DiagramView,
  type VersionView,
} from '../../projections/diagrams/diagrams-queries.js';
import { commandContextOf, isAdmin, principalOf } from './access.js';
import type { HttpDependencies } from './dependencies.js';
import { LiveViews } from './live-views.js';
import { etag, ifMatchRevision, noneMatchHits, requiredIfMatchRevision } from './preconditions.js';
import { HttpProblem } from './problem.js';
import { CONSISTENCY_HEADER, readDatabase } from './read-database.js';
import { awaitMinPosition, MIN_POSITION_HEADER } from './read-your-writes.js';
import { route } from './routes.js';
import type { EventStream } from './server-sent-events.js';

/** Members own diagrams; agents and operators hold a member's rights here (admins are admitted everywhere). */
export const WRITERS: readonly Role[] = ['member', 'agent', 'operator'];
export const READERS: readonly Role[] = ['viewer', 'member', 'agent', 'operator'];

/**
 * A 200k-code-point source sent as JSON \u escapes takes up to 12 bytes a code point (a surrogate pair is two
 * escapes), plus the other fields: a longer source is refused by its length (400), a larger body before it is read (413).
 */
const DIAGRAM_BODY_MAX_BYTES = DIAGRAM_SOURCE_MAX_LENGTH * 12 + 64 * 1024;

/** Why a new version needs If-Match: two people editing at once must never overwrite each other silently. */
const SAVED_ON_TOP = 'a new version is saved only on top of the one its author saw';

/** Two unrelated 200k sources would hold the event loop for seconds: the diff gives up after this long. */
const DIFF_TIMEOUT_MS = 500;

/** A live stream reads its diagram's row at most this often, and looks at least this often without news. */
const LIVE_MIN_INTERVAL_MS = 200;
const LIVE_RECHECK_MS = 1000;

const Title = z.string().trim().min(1).max(DIAGRAM_TITLE_MAX_LENGTH);
const Message = z.string().trim().min(1).max(DIAGRAM_MESSAGE_MAX_LENGTH);
/** Kept exactly as sent; counted in code points (what PostgreSQL's char_length counts), as drafts count theirs. */
export const Source = z
  .string()
  .refine((source) => source.trim() !== '', 'Required: a source that is not blank')
  .refine((source) => source.length <= DIAGRAM_SOURCE_MAX_LENGTH || codePointLength(source) <= DIAGRAM_SOURCE_MAX_LENGTH, `At most ${DIAGRAM_SOURCE_MAX_LENGTH} characters`)
  .meta({ description: `1 to ${DIAGRAM_SOURCE_MAX_LENGTH} characters (Unicode code points), kept exactly as sent` });
const VersionNumber = z.number().int().min(1).max(2 ** 31 - 1);
export const QueryVersion = z.coerce.number().int().min(1).max(2 ** 31 - 1);

const CreateBody = z.strictObject({
  title: Title,
  format: z.enum(DIAGRAM_FORMATS),
  source: Source,
  visibility: z.enum(DIAGRAM_VISIBILITIES).default('private'),
  message: Message.nullish(),
});
const VersionBody = z.strictObject({ source: Source, message: Message.nullish() });
const RestoreBody = z.strictObject({ version: VersionNumber });
const RenameBody = z.strictObject({ title: Title });

const Limit = z.coerce.number().int().min(1).max(100).default(20);
const Cursor = z.string().min(1).max(500).optional();
const ListQuery = z.strictObject({
  owner: z.string().min(1).max(200).optional(),
  q: z.string().trim().min(1).max(200).optional(),
  format: z.enum(DIAGRAM_FORMATS).optional(),
  deleted: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  limit: Limit,
  cursor: Cursor,
});
const VersionsQuery = z.strictObject({ limit: Limit, cursor: Cursor });
const DiffQuery = z.strictObject({ from: QueryVersion, to: QueryVersion });

const notFound = (id: string | undefined): NotFound => new NotFound('DIAGRAM.NOT_FOUND', `Diagram ${id ?? ''} does not exist`);
const versionNotFound = (id: string, version: number | string, latest: number): NotFound =>
  new NotFound('DIAGRAM.VERSION_NOT_FOUND', `Diagram ${id} has no version ${version} (its latest is ${latest})`);

export function diagramIdOf(id: string | undefined): string {
  if (id === undefined || !isUuid(id)) throw notFound(id);
  return id.toLowerCase();
}

export const actorOf = (ctx: Context): DiagramActor => {
  const principal = principalOf(ctx);
  return { sub: principal.sub, admin: isAdmin(principal) };
};

export function respond(ctx: Context, result: DiagramCommandResult, status: 200 | 201, location?: string): void {
  ctx.status = status;
  if (location !== undefined) ctx.set('Location', location);
  ctx.set('ETag', etag(result.revision));
  if (result.position !== null) ctx.set('X-Chorus-Position', result.position);
  ctx.body = { id: result.id, revision: result.revision, position: result.position, version: result.version };
}

/** A new version answers 201 with its Location; the same source again changes nothing and answers 200. */
const respondVersion = (ctx: Context, result: DiagramCommandResult): void =>
  respond(ctx, result, result.unchanged ? 200 : 201, `/v1/diagrams/${result.id}/versions/${result.version}`);

/** The problems of a source, as a 400 naming each one's line. */
function invalidSource(format: DiagramFormat, problems: readonly SourceProblem[]): ValidationError {
  const errors: (FieldError & { line: number | null })[] = problems.map(({ line, message }) => ({ path: 'body.source', line, message }));
  const first = problems[0];
  const where = first === undefined ? '' : `: ${first.line === null ? '' : `line ${first.line}: `}${first.message}`;
  return new ValidationError('DIAGRAM.INVALID_SOURCE', `The ${format === 'dot' ? 'DOT' : 'Mermaid'} source is not valid${where}`, errors);
}

/**
 * Checks a source as its format asks: DOT is parsed by Graphviz, Mermaid gets a structural check of its diagram
 * type line and blocks. A problem is a 400 naming its line.
 */
export async function checkSource(renderer: DiagramRenderer, format: DiagramFormat, source: string): Promise<void> {
  if (format === 'mermaid') {
    const problems = checkMermaidSource(source);
    if (problems.length > 0) throw invalidSource(format, problems);
    return;
  }
  const outcome = await renderer.checkDot(source);
  switch (outcome.status) {
    case 'ok':
      return;
    case 'invalid':
      throw invalidSource(format, outcome.problems);
    case 'too_complex':
      throw new HttpProblem(422, 'DIAGRAM.TOO_COMPLEX', outcome.message);
    case 'busy':
      throw new HttpProblem(503, 'DIAGRAM.RENDERER_BUSY', outcome.message, { 'Retry-After': '1' });
  }
}

/** These versions of a visible diagram, with their sources; 404 DIAGRAM.VERSION_NOT_FOUND for one it does not have. */
export async function versionsOf(db: Kysely<Schema>, diagram: DiagramView, numbers: readonly number[]): Promise<Map<number, VersionView>> {
  const beyond = numbers.find((n) => n > diagram.latestVersion);
  if (beyond !== undefined) throw versionNotFound(diagram.id, beyond, diagram.latestVersion);
  const found = await findVersions(db, diagram.id, numbers);
  const missing = numbers.find((n) => !found.has(n));
  if (missing !== undefined) throw versionNotFound(diagram.id, missing, diagram.latestVersion);
  return found;
}

/** The diagram as the read model has it (after X-Chorus-Min-Position), if the caller may see it; else 404. */
export async function visibleDiagram(ctx: Context, deps: HttpDependencies, id: string): Promise<{ diagram: DiagramView; db: Kysely<Schema> }> {
  const reader = readDatabase(ctx, deps);
  await awaitMinPosition(ctx, deps, diagramsProjection, reader.db);
  const diagram = await findDiagram(reader.db, id, actorOf(ctx));
  if (diagram === undefined) throw notFound(id);
  return { diagram, db: reader.db };
}

export const diagramsRoutes = (deps: HttpDependencies) => {
  /**
   * What never changes about a diagram (its owner, format, visibility) for a command that needs it before it runs:
   * from the read model on the writer, or, while the projection has not applied its creation yet, from the creation
   * event itself. Undefined when it does not exist, or the caller may not see it.
   */
  async function creationOf(id: string, actor: DiagramActor): Promise<Pick<DiagramCreation, 'format'> | undefined> {
    const row = await deps.db.selectFrom('diagrams').select(['owner_id', 'visibility', 'format', 'deleted']).where('id', '=', id).executeTakeFirst();
    if (row !== undefined) return rowVisibleTo(row, actor) ? { format: row.format } : undefined;
    for await (const recorded of deps.store.readStream(diagramStreamId(id))) {
      const event = recorded as unknown as DiagramEvent;
      if (event.type !== 'DiagramCreated' && event.type !== 'DiagramGenerated') return undefined;
      const { ownerId, visibility, format } = event.data;
      return mayView({ ownerId, visibility, deleted: false }, actor) ? { format } : undefined;
    }
    return undefined;
  }

  // Read from the writer: a replica's lag would hold frames back past the news that woke the loop.
  const live = new LiveViews(
    { projection: diagramsProjection.name, read: (ids) => liveDiagrams(deps.db, ids) },
    deps.progress,
    deps.metrics.liveSubscriptions,
    { minIntervalMs: LIVE_MIN_INTERVAL_MS, recheckMs: LIVE_RECHECK_MS },
    (error) => deps.logger.error({ err: error }, 'live diagrams could not be read'),
    deps.eventStreams.closing,
  );

  const changed = { 200: 'Changed (or already so): { id, revision, position, version }, ETag', 404: 'Unknown diagram, or one the caller may not see (DIAGRAM.NOT_FOUND)', 412: 'If-Match does not match' };
  const ownerOnly = { ...changed, 403: 'A shared diagram the caller does not own (DIAGRAM.NOT_OWNER)' };

  return [
    route({
      method: 'post',
      path: '/v1/diagrams',
      tag: 'diagrams',
      summary: 'Create a diagram (Mermaid or DOT) with its source as version 1; private unless visibility is shared',
      access: WRITERS,
      body: CreateBody,
      maxBodyBytes: DIAGRAM_BODY_MAX_BYTES,
      responses: {
        201: 'Created: { id, revision, position, version: 1 }',
        400: 'Invalid body (REQUEST.INVALID), or a DOT source that does not parse (DIAGRAM.INVALID_SOURCE, errors with line and message)',
        413: 'Body too large',
        422: 'The source takes Graphviz too long (DIAGRAM.TOO_COMPLEX)',
        503: 'The renderer is busy (DIAGRAM.RENDERER_BUSY), with Retry-After',
      },
      async handle(ctx, { body, commands }) {
        await checkSource(deps.diagramRenderer, body.format, body.source);
        const input = { title: body.title, format: body.format, visibility: body.visibility, source: body.source, message: body.message ?? null, generation: null };
        const result = await createDiagram(commands, input, actorOf(ctx), commandContextOf(ctx));
        respond(ctx, result, 201, `/v1/diagrams/${result.id}`);
      },
    }),
    route({
      method: 'post',
      path: '/v1/diagrams/:id/versions',
      tag: 'diagrams',
      summary: 'Add a version: its number is the latest + 1; the latest source again changes nothing (200)',
      access: WRITERS,
      body: VersionBody,
      maxBodyBytes: DIAGRAM_BODY_MAX_BYTES,
      headers: ['If-Match'],
      responses: {
        201: 'Added: { id, revision, position, version }, Location of the version',
        200: 'The same source as the latest version: nothing added',
        400: 'Invalid body, or a DOT source that does not parse (DIAGRAM.INVALID_SOURCE)',
        404: changed[404],
        409: 'Deleted (DIAGRAM.DELETED)',
        412: 'If-Match is not the diagram\'s revision: someone saved first',
        428: 'No If-Match (or `*`): a version is saved only on top of a revision its author saw (REQUEST.IF_MATCH_REQUIRED)',
        422: 'DIAGRAM.TOO_COMPLEX',
        503: 'DIAGRAM.RENDERER_BUSY, with Retry-After',
      },
      async handle(ctx, { body, params, commands }) {
        const id = diagramIdOf(params.id);
        const actor = actorOf(ctx);
        const creation = await creationOf(id, actor);
        if (creation === undefined) throw notFound(id);
        const expected = requiredIfMatchRevision(ctx, SAVED_ON_TOP);
        await checkSource(deps.diagramRenderer, creation.format, body.source);
        respondVersion(ctx, await addDiagramVersion(commands, id, { source: body.source, message: body.message ?? null }, actor, commandContextOf(ctx, expected)));
      },
    }),
    route({
      method: 'post',
      path: '/v1/diagrams/:id/restore',
      tag: 'diagrams',
      summary: 'Add a version equal to an earlier one (restoredFrom records which)',
      access: WRITERS,
      body: RestoreBody,
      headers: ['If-Match'],
      responses: {
        201: 'Restored as a new version: { id, revision, position, version }',
        200: 'That version\'s source is the latest already: nothing added',
        404: 'Unknown diagram (DIAGRAM.NOT_FOUND) or version (DIAGRAM.VERSION_NOT_FOUND)',
        409: 'Deleted (DIAGRAM.DELETED)',
        412: changed[412],
        428: 'No If-Match (or `*`): REQUEST.IF_MATCH_REQUIRED',
      },
      async handle(ctx, { body, params, commands }) {
        const id = diagramIdOf(params.id);
        if ((await creationOf(id, actorOf(ctx))) === undefined) throw notFound(id);
        const expected = requiredIfMatchRevision(ctx, SAVED_ON_TOP);
        // The versions read model on the writer, when it has applied that version already; else the event store.
        const known = async (diagramId: string, version: number) => (await findVersions(deps.db, diagramId, [version])).get(version)?.source ?? null;
        respondVersion(ctx, await restoreDiagramVersion(commands, id, body.version, actorOf(ctx), commandContextOf(ctx, expected), known));
      },
    }),
    route({
      method: 'post',
      path: '/v1/diagrams/:id/rename',
      tag: 'diagrams',
      summary: 'Rename a diagram (its owner or an admin)',
      access: WRITERS,
      body: RenameBody,
      headers: ['If-Match'],
      responses: { ...ownerOnly, 409: 'Deleted (DIAGRAM.DELETED)' },
      async handle(ctx, { body, params, commands }) {
        respond(ctx, await renameDiagram(commands, diagramIdOf(params.id), body.title, actorOf(ctx), commandContextOf(ctx, ifMatchRevision(ctx))), 200);
      },
    }),
    route({
      method: 'post',
      path: '/v1/diagrams/:id/delete',
      tag: 'diagrams',
      summary: 'Delete a diagram (soft; its owner or an admin): it is then not found for anyone else, and takes no command but undelete',
      access: WRITERS,
      headers: ['If-Match'],
      responses: { ...ownerOnly, 409: 'Deleted already (DIAGRAM.DELETED)' },
      async handle(ctx, { params, commands }) {
        respond(ctx, await deleteDiagram(commands, diagramIdOf(params.id), actorOf(ctx), commandContextOf(ctx, ifMatchRevision(ctx))), 200);
      },
    }),
    route({
      method: 'post',
      path: '/v1/diagrams/:id/undelete',
      tag: 'diagrams',
      summary: 'Bring a deleted diagram back (its owner or an admin); a diagram not deleted stays as it is',
      access: WRITERS,
      headers: ['If-Match'],
      responses: ownerOnly,
      async handle(ctx, { params, commands }) {
        respond(ctx, await undeleteDiagram(commands, diagramIdOf(params.id), actorOf(ctx), commandContextOf(ctx, ifMatchRevision(ctx))), 200);
      },
    }),
    route({
      method: 'get',
      path: '/v1/diagrams',
      tag: 'diagrams',
      summary: 'Diagrams the caller may see (their own and everyone\'s shared ones), newest first, by owner and format, searched by q (full text over title and latest source); deleted=true lists the caller\'s deleted ones',
      access: READERS,
      query: ListQuery,
      headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
      responses: { 200: '{ items (without sources), nextCursor }', 400: 'Invalid filter or cursor', 503: 'Read model behind' },
      async handle(ctx, { query }) {
        const reader = readDatabase(ctx, deps);
        await awaitMinPosition(ctx, deps, diagramsProjection, reader.db);
        ctx.body = await listDiagrams(reader.db, query, actorOf(ctx));
      },
    }),
    route({
      method: 'get',
      path: '/v1/diagrams/:id',
      tag: 'diagrams',
      summary: 'A diagram and its latest source (its owner sees it flagged deleted)',
      access: READERS,
      headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER, 'If-None-Match'],
      responses: { 200: 'The diagram, with ETag', 304: 'Not modified', 404: changed[404], 503: 'Read model behind' },
      async handle(ctx, { params }) {
        const { diagram } = await visibleDiagram(ctx, deps, diagramIdOf(params.id));
        const tag = etag(diagram.revision);
        ctx.set('ETag', tag);
        if (noneMatchHits(ctx.get('If-None-Match'), tag)) {
          ctx.status = 304;
          return;
        }
        ctx.body = diagram;
      },
    }),
    route({
      method: 'get',
      path: '/v1/diagrams/:id/versions',
      tag: 'diagrams',
      summary: 'A diagram\'s versions, latest first, without their sources',
      access: READERS,
      query: VersionsQuery,
      headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
      responses: { 200: '{ items: [{ version, sourceHash, message, author, createdAt, restoredFrom }], nextCursor }', 400: 'Invalid cursor', 404: changed[404], 503: 'Read model behind' },
      async handle(ctx, { params, query }) {
        const id = diagramIdOf(params.id);
        const { db } = await visibleDiagram(ctx, deps, id);
        ctx.body = await listVersions(db, id, query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/diagrams/:id/versions/:n',
      tag: 'diagrams',
      summary: 'One version of a diagram, with its source',
      access: READERS,
      headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
      responses: { 200: '{ diagramId, version, source, sourceHash, message, author, createdAt, restoredFrom }', 404: 'Unknown diagram or version (DIAGRAM.VERSION_NOT_FOUND)', 503: 'Read model behind' },
      async handle(ctx, { params }) {
        const id = diagramIdOf(params.id);
        const { diagram, db } = await visibleDiagram(ctx, deps, id);
        if (!/^[1-9]\d{0,9}$/.test(params.n ?? '')) throw versionNotFound(id, params.n ?? '', diagram.latestVersion);
        const n = Number(params.n);
        ctx.body = (await versionsOf(db, diagram, [n])).get(n);
      },
    }),
    route({
      method: 'get',
      path: '/v1/diagrams/:id/diff',
      tag: 'diagrams',
      summary: 'A unified diff of two versions\' sources (from → to)',
      access: READERS,
      query: DiffQuery,
      headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
      responses: {
        200: '{ diagramId, from, to, diff (unified, with version numbers as file names) }',
        400: 'from or to not a positive integer',
        404: 'Unknown diagram or version (DIAGRAM.VERSION_NOT_FOUND)',
        422: 'The sources differ too much to diff in time (DIAGRAM.DIFF_TOO_LARGE)',
        503: 'Read model behind',
      },
      async handle(ctx, { params, query }) {
        const id = diagramIdOf(params.id);
        const { diagram, db } = await visibleDiagram(ctx, deps, id);
        const versions = await versionsOf(db, diagram, [query.from, query.to]);
        const diff = createTwoFilesPatch(`v${query.from}`, `v${query.to}`, versions.get(query.from)!.source, versions.get(query.to)!.source, undefined, undefined, { context: 3, timeout: DIFF_TIMEOUT_MS });
        if (diff === undefined) throw new HttpProblem(422, 'DIAGRAM.DIFF_TOO_LARGE', `Versions ${query.from} and ${query.to} differ too much to diff within ${DIFF_TIMEOUT_MS} ms`);
        ctx.body = { diagramId: id, from: query.from, to: query.to, diff };
      },
    }),
    route({
      method: 'get',
      path: '/v1/diagrams/:id/live',
      tag: 'diagrams',
      summary: 'New versions as Server-Sent Events: `event: diagram` at once and at each change (at most five a second), `id:` the log position, heartbeats, Last-Event-ID honoured',
      access: READERS,
      headers: [MIN_POSITION_HEADER, 'Last-Event-ID'],
      responses: { 200: 'text/event-stream of `diagram` events ({ diagramId, title, latestVersion, revision, deleted, updatedAt })', 404: changed[404], 503: 'Read model behind' },
      async handle(ctx, { params }) {
        const id = diagramIdOf(params.id);
        await awaitMinPosition(ctx, deps, diagramsProjection, deps.db);
        if ((await findDiagram(deps.db, id, actorOf(ctx))) === undefined) throw notFound(id);
        let stream: EventStream | null = null;
        const { current, unwatch } = await live.watch(id, (frame) => stream?.send('diagram', frame.position, frame.data));
        stream = deps.eventStreams.start(ctx);
        void stream.ended.then(unwatch);
        // A client that saw the current frame (its Last-Event-ID) waits for the next change; any other gets it now.
        const now = current();
        if (now !== null && now.position !== ctx.get('Last-Event-ID')) stream.send('diagram', now.position, now.data);
      },
    }),
  ];
};
