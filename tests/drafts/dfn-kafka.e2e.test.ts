// The DFN through the production topology on real services: store → relay → Kafka (the drafts topic) → the
// drafts-retrieval projector and the drafts-dfn enricher → DfnGenerated, learned from the pairs the projector
// stored, one per draft.
import test from 'ava';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { startRoles, type RunningChorus } from '../../api/main.js';
import type { DfnGenerated } from '../../domain/drafts/events.js';
import { draftStreamId } from '../../domain/drafts/events.js';
import { LOCAL_FINAL_NOTE_MODEL } from '../../infrastructure/ai/local/draft-corrections.js';
import { loadConfig } from '../../infrastructure/config.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { collect } from '../support/events.js';
import { TEST_CONFIG } from '../support/http-specification.js';
import { testTopicPrefix } from '../support/kafka.js';
import { serviceUrl } from '../support/services.js';
import { appendSpeaker, appendTo, draftIngested, finalNoteRecorded } from './dfn-events.js';

const suite = 'DFN through Kafka';
const databaseUrl = serviceUrl('DATABASE_URL', suite);
const brokers = serviceUrl('KAFKA_BROKERS', suite);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

if (databaseUrl !== undefined && brokers !== undefined) {
  let db: TestDatabase;
  let chorus: RunningChorus;

  test.before(async () => {
    db = await serverTestDatabase(databaseUrl);
    const config = loadConfig({
      ...TEST_CONFIG,
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url!,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: testTopicPrefix(),
      KAFKA_TOPIC_PARTITIONS: '3',
      CHORUS_AI_PROVIDERS: 'local',
      GEMINI_API_KEY: '',
    });
    chorus = await startRoles(config, pino({ level: 'silent' }));
  });
  test.after.always(async () => {
    await chorus?.stop();
    await db?.drop();
  });

  test('a draft ingested after its speaker\'s corrected pairs gets a DFN learned from them, once', async (t) => {
    t.timeout(120_000);
    const { store, database } = chorus.system;
    const speakerId = uuidv7();
    await appendSpeaker(store, speakerId, 'cardiology');
    const past: string[] = [];
    for (const [draft, note] of [
      ['um history of hyper tension period', 'History of hypertension.'],
      ['known hyper tension um period', 'Known hypertension.'],
      ['hyper tension controlled period', 'Hypertension controlled.'],
    ]) {
      const id = uuidv7();
      past.push(id);
      await appendTo(store, draftStreamId(id), draftIngested(id, speakerId, draft!), finalNoteRecorded(id, speakerId, note!));
    }
    // The past drafts get DFNs of their own; the new one must wait until the projector has their final notes.
    await until('the pairs in the retrieval read model', async () => {
      const rows = await database.db.selectFrom('drafts_retrieval_pairs').select('draft_id').where('speaker_id', '=', speakerId).where('final_note', 'is not', null).execute();
      return rows.length === past.length ? rows : undefined;
    });
    const draftId = uuidv7();
    await appendTo(store, draftStreamId(draftId), draftIngested(draftId, speakerId, 'um severe hyper tension period'));

    const generated = await until('DfnGenerated', async () => (await collect(store.readStream(draftStreamId(draftId)))).find((event) => event.type === 'DfnGenerated'));
    t.like(generated.data as DfnGenerated['data'], { draftId, speakerId, text: 'Severe hypertension.', provider: 'local', model: LOCAL_FINAL_NOTE_MODEL });
    t.deepEqual([...(generated.data as DfnGenerated['data']).retrieved].sort(), [...past].sort());
    for (const id of past) {
      await until(`the DFN of ${id}`, async () => ((await collect(store.readStream(draftStreamId(id)))).some((event) => event.type === 'DfnGenerated') ? true : undefined));
    }
    // Wait a little for any second delivery; each draft keeps one DFN.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const id of [draftId, ...past]) {
      t.is((await collect(store.readStream(draftStreamId(id)))).filter((event) => event.type === 'DfnGenerated').length, 1);
    }
  });
}
