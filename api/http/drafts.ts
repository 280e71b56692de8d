// The drafts routes (but the dashboard's): speakers, their buckets, draft ingestion, final notes, and the views of
// speakers and drafts. Agents, operators and admins write; viewers also read.
import type { Context } from 'koa';
import { z } from 'zod';
import { ingestDraft, recordFinalNote } from '../../application/drafts/draft-commands.js';
import { createSpeaker, reassignSpeaker } from '../../application/drafts/speaker-commands.js';
import { BUCKETS, DRAFT_TEXT_MAX_LENGTH, SPEAKER_NAME_MAX_LENGTH } from '../../domain/drafts/events.js';
import { REASSIGN_REASON_MAX_LENGTH, SPECIALTY_MAX_LENGTH } from '../../domain/drafts/speaker-commands.js';
import { NotFound } from '../../domain/kernel/errors.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import { draftsProjection } from '../../projections/drafts/drafts-projection.js';
import { getDraft, getSpeaker, listDrafts, listSpeakers } from '../../projections/drafts/drafts-queries.js';
import { DRAFT_STATUSES } from '../../projections/drafts/drafts-schema.js';
import { commandContextOf } from './access.js';
import type { HttpDependencies } from './dependencies.js';
import { ifMatchRevision } from './preconditions.js';
import { READ_HEADERS, respond } from './polls.js';
import { readDatabase } from './read-database.js';
import { awaitMinPosition } from './read-your-writes.js';
import { route } from './routes.js';

/** Who writes (speakers, drafts, final notes, reassignments); admins are admitted everywhere. */
export const DRAFTS_WRITERS = ['agent', 'operator'] as const;
/** Who reads every drafts view: the writers and viewers (members, the polls' users, are not admitted). */
export const DRAFTS_READERS = ['viewer', 'agent', 'operator'] as const;

export const EXTERNAL_ID_MAX_LENGTH = 200;
/** A draft's metadata, as JSON, at most this many characters. */
export const DRAFT_METADATA_MAX_LENGTH = 16_384;

/**
 * The largest draft body: 100k characters sent as JSON escapes (`\ud83d\ude00`, 12 bytes for a character outside the
 * BMP), plus the metadata and the rest. A longer text is refused by its length (DRAFT.TEXT_TOO_LONG, 400), a larger
 * body before it is read (HTTP.BODY_TOO_LARGE, 413).
 */
export const DRAFT_BODY_MAX_BYTES = DRAFT_TEXT_MAX_LENGTH * 12 + 64 * 1024;

const Instant = z.iso.datetime({ offset: true }).refine((value) => !value.startsWith('0000'), 'a year from 1 to 9999');
/** No control characters: an externalId names a stream and shows in logs. */
const ExternalId = z
  .string()
  .trim()
  .min(1)
  .max(EXTERNAL_ID_MAX_LENGTH)
  .regex(/^[^\p{Cc}]+$/u, 'No control characters');

const CreateSpeakerBody = z.strictObject({
  name: z.string().trim().min(1).max(SPEAKER_NAME_MAX_LENGTH),
  externalId: ExternalId.nullish().meta({ description: 'Unique among speakers' }),
  specialty: z.string().trim().max(SPECIALTY_MAX_LENGTH).nullish(),
  bucket: z.enum(BUCKETS).nullish().meta({ description: 'Default high_edit' }),
});

const ReassignBody = z.strictObject({ bucket: z.enum(BUCKETS), reason: z.string().trim().min(1).max(REASSIGN_REASON_MAX_LENGTH) });

/** The text's length is checked in code points by the command (DRAFT.TEXT_TOO_LONG), not in UTF-16 units here. */
const DraftText = z.string().min(1).meta({ description: `1 to ${DRAFT_TEXT_MAX_LENGTH} characters (Unicode code points), kept exactly as sent` });

const IngestDraftBody = z.strictObject({
  externalId: ExternalId.meta({ description: 'Unique within the speaker: the same externalId and text again answers as the first time' }),
  text: DraftText,
  recordedAt: Instant.nullish(),
  metadata: z
    .record(z.string().max(200), z.unknown())
    .nullish()
    .refine((value) => value == null || JSON.stringify(value).length <= DRAFT_METADATA_MAX_LENGTH, `At most ${DRAFT_METADATA_MAX_LENGTH} characters as JSON`),
});

const FinalNoteBody = z.strictObject({ text: DraftText });

const Limit = z.coerce.number().int().min(1).max(100).default(20);
const Cursor = z.string().min(1).max(500).optional();

const SpeakersQuery = z.strictObject({ bucket: z.enum(BUCKETS).optional(), q: z.string().trim().min(1).max(200).optional(), limit: Limit, cursor: Cursor });

const DraftsQuery = z.strictObject({
  speakerId: z.string().max(100).optional().meta({ description: 'A speaker id (uuid); any other value matches none' }),
  status: z.enum(DRAFT_STATUSES).optional(),
  limit: Limit,
  cursor: Cursor,
});

const speakerNotFound = (id: string | undefined): NotFound => new NotFound('SPEAKER.NOT_FOUND', `Speaker ${id ?? ''} does not exist`);
const draftNotFound = (id: string | undefined): NotFound => new NotFound('DRAFT.NOT_FOUND', `Draft ${id ?? ''} does not exist`);

/** Chorus mints uuids: any other id names nothing (404, never a database error). */
function idOf(id: string | undefined, notFound: (id: string | undefined) => NotFound): string {
  if (id === undefined || !isUuid(id)) throw notFound(id);
  return id.toLowerCase();
}

const optional = <T>(value: T | null | undefined): T | null => value ?? null;

export const draftsRoutes = (deps: HttpDependencies) => {
  async function readerFor(ctx: Context) {
    const reader = readDatabase(ctx, deps);
    await awaitMinPosition(ctx, deps, draftsProjection, reader.db);
    return reader.db;
  }

  return [
    route({
      method: 'post',
      path: '/v1/speakers',
      tag: 'drafts',
      summary: 'Create a speaker (in bucket high_edit unless told); an externalId is unique',
      access: DRAFTS_WRITERS,
      body: CreateSpeakerBody,
      responses: { 201: 'Created: { id, revision, position }', 400: 'Invalid body (REQUEST.INVALID)', 409: 'The externalId belongs to another speaker (SPEAKER.EXTERNAL_ID_TAKEN)' },
      async handle(ctx, { body, commands }) {
        const input = { name: body.name, externalId: optional(body.externalId), specialty: optional(body.specialty), bucket: optional(body.bucket) };
        const result = await createSpeaker(commands, input, commandContextOf(ctx));
        respond(ctx, 201, result, `/v1/speakers/${result.id}`);
      },
    }),
    route({
      method: 'post',
      path: '/v1/speakers/:id/bucket',
      tag: 'drafts',
      summary: 'Move a speaker to another bucket, saying why (how a recommendation is accepted); If-Match honoured',
      access: DRAFTS_WRITERS,
      body: ReassignBody,
      headers: ['If-Match'],
      responses: {
        200: 'Reassigned: { id, revision, position }',
        404: 'Unknown speaker (SPEAKER.NOT_FOUND)',
        409: 'In that bucket already (SPEAKER.SAME_BUCKET)',
        412: 'If-Match is not the current revision',
      },
      async handle(ctx, { params, body, commands }) {
        const id = idOf(params.id, speakerNotFound);
        const context = commandContextOf(ctx, ifMatchRevision(ctx));
        respond(ctx, 200, await reassignSpeaker(commands, id, body, context));
      },
    }),
    route({
      method: 'get',
      path: '/v1/speakers',
      tag: 'drafts',
      summary: 'Speakers, newest first, by bucket and a search of name and externalId, a cursor page at a time',
      access: DRAFTS_READERS,
      query: SpeakersQuery,
      headers: READ_HEADERS,
      responses: { 200: '{ items, nextCursor }', 400: 'Invalid filter or cursor (QUERY.INVALID_CURSOR)', 503: 'Read model behind' },
      async handle(ctx, { query }) {
        ctx.body = await listSpeakers(await readerFor(ctx), query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/speakers/:id',
      tag: 'drafts',
      summary: 'One speaker: its bucket, aggregates over its drafts\' latest evaluations, bucket history and pending recommendation',
      access: DRAFTS_READERS,
      headers: READ_HEADERS,
      responses: { 200: 'The speaker', 404: 'Unknown speaker (SPEAKER.NOT_FOUND)', 503: 'Read model behind' },
      async handle(ctx, { params }) {
        const id = idOf(params.id, speakerNotFound);
        const view = await getSpeaker(await readerFor(ctx), id);
        if (view === undefined) throw speakerNotFound(id);
        ctx.body = view;
      },
    }),
    route({
      method: 'post',
      path: '/v1/speakers/:id/drafts',
      tag: 'drafts',
      summary: 'Ingest a raw draft; the same externalId and text again answers as the first time (201, the same body)',
      access: DRAFTS_WRITERS,
      body: IngestDraftBody,
      maxBodyBytes: DRAFT_BODY_MAX_BYTES,
      responses: {
        201: 'Ingested: { id, revision, position } (the first ingestion\'s, for the same externalId and text)',
        400: 'Invalid body (REQUEST.INVALID), empty text (DRAFT.EMPTY_TEXT), text over 100k characters (DRAFT.TEXT_TOO_LONG)',
        404: 'Unknown speaker (SPEAKER.NOT_FOUND)',
        409: 'The externalId was ingested with other text (DRAFT.EXTERNAL_ID_CONFLICT)',
        413: 'Body too large (HTTP.BODY_TOO_LARGE)',
      },
      async handle(ctx, { params, body, commands }) {
        const speakerId = idOf(params.id, speakerNotFound);
        const recordedAt = body.recordedAt == null ? null : new Date(body.recordedAt).toISOString();
        const input = { externalId: body.externalId, text: body.text, recordedAt, metadata: optional(body.metadata) };
        const result = await ingestDraft(commands, speakerId, input, commandContextOf(ctx));
        respond(ctx, 201, result, `/v1/drafts/${result.id}`);
      },
    }),
    route({
      method: 'post',
      path: '/v1/drafts/:id/final-note',
      tag: 'drafts',
      summary: 'Record the human-edited final note, before or after the DFN; a new one replaces the current one and is evaluated again',
      access: DRAFTS_WRITERS,
      body: FinalNoteBody,
      maxBodyBytes: DRAFT_BODY_MAX_BYTES,
      responses: {
        200: 'Recorded: { id, revision, position } (the same text as the current note changes nothing)',
        400: 'Invalid body (REQUEST.INVALID, DRAFT.EMPTY_TEXT, DRAFT.TEXT_TOO_LONG)',
        404: 'Unknown draft (DRAFT.NOT_FOUND)',
        413: 'Body too large (HTTP.BODY_TOO_LARGE)',
      },
      async handle(ctx, { params, body, commands }) {
        respond(ctx, 200, await recordFinalNote(commands, idOf(params.id, draftNotFound), body.text, commandContextOf(ctx)));
      },
    }),
    route({
      method: 'get',
      path: '/v1/drafts',
      tag: 'drafts',
      summary: 'Drafts, newest ingestion first, by speaker and status (ingested, dfn_generated, finalized, evaluated), without their texts',
      access: DRAFTS_READERS,
      query: DraftsQuery,
      headers: READ_HEADERS,
      responses: { 200: '{ items, nextCursor }', 400: 'Invalid filter or cursor (QUERY.INVALID_CURSOR)', 503: 'Read model behind' },
      async handle(ctx, { query }) {
        const db = await readerFor(ctx);
        // An id Chorus never minted names no speaker: an empty page, not a database error.
        if (query.speakerId !== undefined && !isUuid(query.speakerId)) {
          ctx.body = { items: [], nextCursor: null };
          return;
        }
        ctx.body = await listDrafts(db, { ...query, speakerId: query.speakerId?.toLowerCase() });
      },
    }),
    route({
      method: 'get',
      path: '/v1/drafts/:id',
      tag: 'drafts',
      summary: 'One draft: its text, DFN, current final note and every evaluation',
      access: DRAFTS_READERS,
      headers: READ_HEADERS,
      responses: { 200: 'The draft', 404: 'Unknown draft, or an id that is not a uuid (DRAFT.NOT_FOUND)', 503: 'Read model behind' },
      async handle(ctx, { params }) {
        const id = idOf(params.id, draftNotFound);
        const view = await getDraft(await readerFor(ctx), id);
        if (view === undefined) throw draftNotFound(id);
        ctx.body = view;
      },
    }),
  ];
};
