// A new bounded context is its own files plus one line in the list of contexts: this test-only "notes" context
// (its events, its table and migration, one projection, two routes) is hosted next to feedback without editing
// a shared file, migrated, projected through the in-process bus and served over HTTP; its AI intent joins the
// orchestrator's from its module entry alone.
import test from 'ava';
import { sql, type Migration } from 'kysely';
import { pino } from 'pino';
import { z } from 'zod';
import { contexts, context } from '../../api/contexts.js';
import { awaitMinPosition, MIN_POSITION_HEADER } from '../../api/http/read-your-writes.js';
import { actorOf } from '../../api/http/access.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';
import { route } from '../../api/http/routes.js';
import type { HttpDependencies } from '../../api/http/dependencies.js';
import { startRoles, type RunningChorus } from '../../api/main.js';
import type { AiIntent } from '../../application/ai/intents.js';
import type { AiTask } from '../../application/ports/ai-provider.js';
import { LocalAiProvider, localTask } from '../../infrastructure/ai/local/local-ai-provider.js';
import { localTasks } from '../../infrastructure/ai/local/local-tasks.js';
import { NotFound } from '../../domain/kernel/errors.js';
import { loadConfig } from '../../infrastructure/config.js';
import type { ContextModule } from '../../projections/context-module.js';
import type { Projection } from '../../projections/projection.js';

interface NotesTable {
  id: string;
  text: string;
  revision: number;
}

// How a context adds its tables to the one Kysely schema: beside its migration, by declaration merging.
declare module '../../projections/schema.js' {
  interface Schema {
    test_notes: NotesTable;
  }
}

const createNotes: Migration = {
  async up(db) {
    await db.schema
      .createTable('test_notes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('test_notes').execute();
  },
};

const notesProjection: Projection = {
  name: 'test-notes',
  version: 1,
  categories: ['note'],
  handles: ['NoteWritten'],
  tables: ['test_notes'],
  async apply(tx, events) {
    const rows = events.map((event) => ({ id: event.streamId.slice('note-'.length), text: (event.data as { text: string }).text, revision: event.revision }));
    await tx
      .insertInto('test_notes')
      .values(rows)
      .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ text: eb.ref('excluded.text'), revision: eb.ref('excluded.revision') })))
      .execute();
  },
};

const noteTitleTask: AiTask<{ text: string }, { title: string }> = {
  name: 'notes.title',
  answer: z.object({ title: z.string().min(1) }),
  describe: ({ text }) => ({ instruction: 'Title this note.', text }),
};

const noteTitleIntent: AiIntent<{ text: string }, { title: string }> = {
  name: 'note-title',
  summary: 'A title for a note',
  input: z.strictObject({ text: z.string().min(1).max(200) }),
  task: noteTitleTask,
};

const notesModule: ContextModule = {
  name: 'notes',
  categories: ['note'],
  migrations: { '9000_test_notes': createNotes },
  projections: [notesProjection],
  enrichers: () => [],
  upcasters: [],
  intents: [noteTitleIntent],
};

const notesRoutes = (deps: HttpDependencies) => [
  route({
    method: 'post',
    path: '/v1/notes',
    tag: 'notes',
    summary: 'Write a note',
    access: 'anyone',
    body: z.strictObject({ text: z.string().min(1).max(200) }),
    responses: { 201: '{ id, position }' },
    async handle(ctx, { body, commands }) {
      const id = commands.ids.next();
      const metadata = { correlationId: ctx.state.correlationId as string, causationId: null, actor: actorOf(ctx), occurredAt: commands.clock.now().toISOString(), schema: commands.upcasting.currentSchema('NoteWritten') };
      const { position } = await commands.store.append(`note-${id}`, [{ eventId: commands.ids.next(), type: 'NoteWritten', data: body, metadata }], { expectedRevision: 'no_stream' });
      ctx.status = 201;
      ctx.body = { id, position };
    },
  }),
  route({
    method: 'get',
    path: '/v1/notes/:id',
    tag: 'notes',
    summary: 'One note',
    access: 'anyone',
    headers: [MIN_POSITION_HEADER],
    responses: { 200: 'The note', 404: 'Unknown note' },
    async handle(ctx, { params }) {
      await awaitMinPosition(ctx, deps, notesProjection, deps.db);
      const note = await deps.db.selectFrom('test_notes').selectAll().where('id', '=', params.id ?? '').executeTakeFirst();
      if (note === undefined) throw new NotFound('NOTE.NOT_FOUND', 'No such note');
      ctx.body = note;
    },
  }),
];

let chorus: RunningChorus;

test.before(async () => {
  const config = loadConfig({ ...TEST_CONFIG, CHORUS_MIN_POSITION_TIMEOUT_MS: '10000' });
  // A provider that runs the context's task: here the local one, given an implementation of it.
  const aiProviders = [new LocalAiProvider([...localTasks, localTask(noteTitleTask, ({ text }) => ({ title: text.split(' ')[0]! }))])];
  chorus = await startRoles(config, pino({ level: 'silent' }), { contexts: [...contexts, context(notesModule, notesRoutes)], aiProviders });
});
test.after.always(() => chorus?.stop());

test('a context added as a module is migrated, projected and served next to the others', async (t) => {
  const tables = await sql<{ name: string }>`select tablename as name from pg_tables where tablename = 'test_notes'`.execute(chorus.system.database.db);
  t.is(tables.rows.length, 1, 'its migration ran with the core and the other contexts');

  const written = await fetch(`${chorus.url}/v1/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hello' }) });
  t.is(written.status, 201);
  const { id, position } = (await written.json()) as { id: string; position: string };
  const read = await fetch(`${chorus.url}/v1/notes/${id}`, { headers: { [MIN_POSITION_HEADER]: position } });
  t.is(read.status, 200);
  t.deepEqual(await read.json(), { id, text: 'hello', revision: 0 });

  t.like(chorus.system.workers.state(), { 'projection.test-notes': 'running', 'projection.feedback': 'running' });
  const openapi = (await (await fetch(`${chorus.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  t.truthy(openapi.paths['/v1/notes/{id}'], 'its routes are documented');
  t.truthy(openapi.paths['/v1/feedback'], 'next to the others');
  const feedback = await fetch(`${chorus.url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'still here' }) });
  t.is(feedback.status, 201);
  const topics = ['chorus.dlq', 'chorus.notes', ...contexts.map((known) => `chorus.${known.name}`)].sort();
  t.deepEqual(chorus.system.topology.allTopics().sort(), topics, 'its events get a Kafka topic of their own');
  t.true(topics.includes('chorus.feedback') && topics.includes('chorus.polls'), 'next to the others');
});

test('a context\'s intent, declared in its module, runs through the orchestrator next to the others', async (t) => {
  const headers = { ...(await bearerFor(chorus, ['agent'])), 'content-type': 'application/json' };
  const orchestrate = (body: unknown) => fetch(`${chorus.url}/v1/ai/orchestrate`, { method: 'POST', headers, body: JSON.stringify(body) });
  const titled = await orchestrate({ intent: 'note-title', input: { text: 'Groceries for the weekend' } });
  t.is(titled.status, 200);
  t.like(await titled.json(), { intent: 'note-title', result: { title: 'Groceries' }, usedProvider: 'local', attempts: [{ provider: 'local', ok: true }] });
  const unknown = await orchestrate({ intent: 'nothing', input: {} });
  t.is(unknown.status, 400);
  const { detail } = (await unknown.json()) as { detail: string };
  for (const name of ['note-title', 'extract-lead', 'categorize-feedback']) t.true(detail.includes(name), `${name} is listed`);
});
