// An API whose projectors run in another process hears of their batches, so a read-your-writes wait wakes when
// the projection moves rather than when a timer runs out, and the views it keeps are read again once their
// projection has moved.
import test from 'ava';
import { pino } from 'pino';
import { startRoles, type RunningChorus } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'projection progress between processes');

if (databaseUrl !== undefined) {
  const databases: TestDatabase[] = [];
  const running: RunningChorus[] = [];

  test.after.always(async () => {
    for (const chorus of running.reverse()) await chorus.stop();
    for (const db of databases) await db.drop();
  });

  const json = { 'content-type': 'application/json' };

  test('batches a projector commits in another process are announced to the API process', async (t) => {
    const db = await serverTestDatabase(databaseUrl);
    databases.push(db);
    const config = loadConfig({ ...TEST_CONFIG, LOG_LEVEL: 'silent', DATABASE_URL: db.url!, CHORUS_POLL_INTERVAL_MS: '60000' });
    const logger = pino({ level: 'silent' });
    const api = await startRoles(config, logger, { roles: ['api'] });
    running.push(api);
    const projector = await startRoles(config, logger, { roles: ['projector'] });
    running.push(projector);
    t.is(api.system.progress.batches('feedback'), 0);

    const response = await fetch(`${api.url}/v1/feedback`, { method: 'POST', headers: json, body: JSON.stringify({ text: 'hello', rating: 5 }) });
    t.is(response.status, 201);
    const { position } = (await response.json()) as { position: string };
    for (let attempt = 0; attempt < 400 && api.system.progress.batches('feedback') === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
    t.true(api.system.progress.batches('feedback') > 0, "the projector's batch was announced in the API's process");
    t.true(projector.system.progress.batches('feedback') > 0);

    const viewer = await bearerFor(api, ['viewer']);
    const read = await fetch(`${api.url}/v1/feedback/stats`, { headers: { ...viewer, 'X-Chorus-Min-Position': position } });
    t.is(read.status, 200);
    t.is(((await read.json()) as { total: number }).total, 1);
  });

  test('a view the API keeps is read again once a projector in another process applies a batch', async (t) => {
    const db = await serverTestDatabase(databaseUrl);
    databases.push(db);
    // Only news can refresh a kept view here: it would otherwise be kept for ten minutes.
    const config = loadConfig({
      ...TEST_CONFIG,
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url!,
      CHORUS_VIEW_CACHE_MAX_AGE_MS: '600000',
      // A projector that has just started may take seconds to its first batch on a busy machine.
      CHORUS_MIN_POSITION_TIMEOUT_MS: '30000',
    });
    const logger = pino({ level: 'silent' });
    const api = await startRoles(config, logger, { roles: ['api'] });
    running.push(api);
    const projector = await startRoles(config, logger, { roles: ['projector'] });
    running.push(projector);

    // One agent reads and changes the feedback; anyone may submit it.
    const agent = await bearerFor(api, ['agent']);
    const created = await fetch(`${api.url}/v1/feedback`, { method: 'POST', headers: json, body: JSON.stringify({ text: 'cache me', rating: 2 }) });
    const { id, position } = (await created.json()) as { id: string; position: string };
    const waited = await fetch(`${api.url}/v1/feedback/${id}`, { headers: { ...agent, 'X-Chorus-Min-Position': position } });
    t.is(waited.status, 200);
    t.is(waited.headers.get('X-Chorus-Cache'), null, 'a read that waited for a position is not served from the cache');
    const first = await fetch(`${api.url}/v1/feedback/${id}`, { headers: agent });
    t.is(first.headers.get('X-Chorus-Cache'), 'miss');
    const second = await fetch(`${api.url}/v1/feedback/${id}`, { headers: agent });
    t.is(second.headers.get('X-Chorus-Cache'), 'hit');
    t.is(((await second.json()) as { status: string }).status, 'open');

    const changed = await fetch(`${api.url}/v1/feedback/${id}/status`, {
      method: 'POST',
      headers: { ...json, ...agent, 'If-Match': second.headers.get('ETag')! },
      body: JSON.stringify({ status: 'in_progress' }),
    });
    t.is(changed.status, 200);
    const afterChange = await fetch(`${api.url}/v1/feedback/${id}`, { headers: { ...agent, 'X-Chorus-Min-Position': changed.headers.get('X-Chorus-Position')! } });
    t.is(((await afterChange.json()) as { status: string }).status, 'in_progress', 'a read that waits for the change sees it at once');
    let status = '';
    for (let attempt = 0; attempt < 200 && status !== 'in_progress'; attempt++) {
      status = ((await (await fetch(`${api.url}/v1/feedback/${id}`, { headers: agent })).json()) as { status: string }).status;
      if (status !== 'in_progress') await new Promise((resolve) => setTimeout(resolve, 25));
    }
    t.is(status, 'in_progress', "the projector's news dropped the kept view");
  });
}
