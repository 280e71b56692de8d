// The drafts module as the `chorus` command wires it: a draft parked by the drafts-dfn enricher is listed by
// `chorus dlq list` and `chorus dlq retry` generates its DFN with the command's own enricher (the module's
// FullTextRetriever over the writer database and the local provider), learning from the speaker's projected pairs.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { draftStreamId, speakerStreamId } from '../../domain/drafts/events.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { LOCAL_FINAL_NOTE_MODEL } from '../../infrastructure/ai/local/draft-corrections.js';
import { openPglite } from '../../infrastructure/db/database.js';
import { migrate } from '../../infrastructure/db/migrations.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { DRAFTS_DFN, draftsDfn } from '../../projections/drafts/dfn-enricher.js';
import { FullTextRetriever } from '../../projections/drafts/full-text-retriever.js';
import { draftsRetrievalProjection } from '../../projections/drafts/retrieval-projection.js';
import { EnricherConsumer } from '../../projections/enricher.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import { appliedCheckpoint } from '../../projections/projection-status.js';
import { allMigrations } from '../support/databases.js';
import { collect } from '../support/events.js';
import { upcasting } from '../support/upcasting.js';
import { appendSpeaker, appendTo, draftIngested, finalNoteRecorded } from './dfn-events.js';
import { runChorus, type CliResult } from '../support/chorus-cli.js';

const chorus = (args: string[], dataDir: string): Promise<CliResult> =>
  runChorus(args, { ...process.env, CHORUS_DATA_DIR: dataDir, DATABASE_URL: '', KAFKA_BROKERS: '', REDIS_URL: '', DATABASE_REPLICA_URLS: '', GEMINI_API_KEY: '', CHORUS_AI_PROVIDERS: 'local' });

test('chorus dlq retry generates a parked draft\'s DFN with the module\'s retriever and the local provider', async (t) => {
  t.timeout(180_000);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-dfn-dlq-'));
  try {
    let database = await openPglite(path.join(dataDir, 'pgdata'));
    await migrate(database.db, 'up', allMigrations);
    let store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    const speakerId = uuidv7();
    await appendSpeaker(store, speakerId, 'cardiology');
    const past: string[] = [];
    for (const [draft, note] of [
      ['um history of hyper tension period', 'History of hypertension.'],
      ['known hyper tension um period', 'Known hypertension.'],
    ]) {
      const id = uuidv7();
      past.push(id);
      await appendTo(store, draftStreamId(id), draftIngested(id, speakerId, draft!), finalNoteRecorded(id, speakerId, note!));
    }
    const draftId = uuidv7();
    await appendTo(store, draftStreamId(draftId), draftIngested(draftId, speakerId, 'um severe hyper tension period'));
    const [ingested] = await collect(store.readStream(draftStreamId(draftId)));
    // The projector's work, up to the new draft: its checkpoint is what the DFN enricher waits for.
    const projected = (await Promise.all([speakerStreamId(speakerId), ...past.map(draftStreamId), draftStreamId(draftId)].map((stream) => collect(store.readStream(stream))))).flat();
    const projector = new ProjectionApplier(database.db, store, draftsRetrievalProjection, pino({ level: 'silent' }), { maxAttempts: 1, retryMinMs: 1, retryMaxMs: 2, isTransient: () => false });
    await projector.start();
    await projector.process(projected.sort((a, b) => store.comparePositions(a.position, b.position)), { kind: 'checkpoint', position: ingested!.position }, new AbortController().signal);
    const failing = draftsDfn({
      store,
      ids: uuidV7Ids,
      clock: systemClock,
      upcasting,
      db: database.db,
      appliedPosition: appliedCheckpoint(store),
      retriever: new FullTextRetriever(database.db),
      generate: () => Promise.reject(new Error('invalid answer to drafts.final-note')),
    });
    const consumer = new EnricherConsumer(database.db, failing, pino({ level: 'silent' }), { maxAttempts: 2, retryMinMs: 1, retryMaxMs: 2, isTransient: () => false });
    await consumer.process([ingested!], { kind: 'checkpoint', position: ingested!.position }, new AbortController().signal);
    await database.close();

    const list = await chorus(['dlq', 'list', '--consumer', DRAFTS_DFN], dataDir);
    t.is(list.code, 0, list.stderr);
    const letterId = new RegExp(`^#(\\d+)\\s+open\\s+${DRAFTS_DFN.replace('.', '\\.')}\\s+draft-${draftId}`, 'm').exec(list.stdout)?.[1];
    t.truthy(letterId, list.stdout);
    const retried = await chorus(['dlq', 'retry', letterId!], dataDir);
    t.is(retried.code, 0, retried.stderr);

    database = await openPglite(path.join(dataDir, 'pgdata'));
    store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    const events = await collect(store.readStream(draftStreamId(draftId)));
    await database.close();
    t.deepEqual(events.map((event) => event.type), ['DraftIngested', 'DfnGenerated']);
    t.like(events[1]!.data, { text: 'Severe hypertension.', provider: 'local', model: LOCAL_FINAL_NOTE_MODEL });
    t.deepEqual([...(events[1]!.data as { retrieved: string[] }).retrieved].sort(), [...past].sort());
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
