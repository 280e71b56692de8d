// Drafts over HTTP: POST /v1/speakers/:id/drafts, every role in this process on PostgreSQL. Each ingestion claims
// its externalId (a no_stream append), reads the speaker's stream, and appends its DraftIngested (another no_stream
// append), so it costs about twice a plain creation.
import { pino } from 'pino';
import { startRoles } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import { serverTestDatabase } from '../support/databases.js';
import { BENCH_AUTH_CONFIG, benchBearer } from './chorus-process.js';
import type { Figure } from './figures.js';
import { generateLoad } from './http-load.js';
import { progress } from './progress.js';

const CONNECTIONS = 16;
const SECONDS = 10;
/** A dictation of typical length (about 800 characters), as a speech recogniser writes it. */
const DRAFT_TEXT =
  'history of present illness period the patient is a 67 year old male who presents with um chest pain radiating to the left arm comma ' +
  'onset two hours ago period new paragraph past medical history colon hypertension comma type 2 diabetes comma hyperlipidemia period '.repeat(4) +
  'assessment and plan colon acute coronary syndrome is suspected period start aspirin and obtain serial troponins period';

export async function draftsFigures(serverUrl: string, seconds = SECONDS): Promise<Figure[]> {
  const testDb = await serverTestDatabase(serverUrl);
  await testDb.database.close();
  try {
    const config = loadConfig({ ...BENCH_AUTH_CONFIG, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: testDb.url! });
    const chorus = await startRoles(config, pino({ level: 'warn' }));
    try {
      const agent = await benchBearer(['agent']);
      const created = await fetch(`${chorus.url}/v1/speakers`, { method: 'POST', headers: { ...agent, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Benchmark speaker' }) });
      if (created.status !== 201) throw new Error(`creating the benchmark's speaker answered ${created.status}`);
      const { id } = (await created.json()) as { id: string };
      progress(`drafts PostgreSQL: POST /v1/speakers/:id/drafts (${DRAFT_TEXT.length} characters each), ${CONNECTIONS} connections, ${seconds} s`);
      const result = await generateLoad({ url: chorus.url, kind: 'ingest', connections: CONNECTIONS, seconds, ingest: { speakerId: id, text: DRAFT_TEXT }, headers: agent });
      return [
        {
          name: `drafts ingested per second (HTTP, ${CONNECTIONS} connections), PostgreSQL`,
          unit: 'req/s',
          chorus: { value: result.requestsPerSecond, details: { 'p50 ms': result.p50Ms, 'p99 ms': result.p99Ms, errors: result.errors, 'non-2xx': result.non2xx } },
        },
      ];
    } finally {
      await chorus.stop();
    }
  } finally {
    await testDb.drop();
  }
}
