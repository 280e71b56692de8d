// An API whose projectors run in another process hears of their batches, so a read-your-writes wait wakes when
// the projection moves rather than when a timer runs out.
import test from 'ava';
import { pino } from 'pino';
import { startRoles, type RunningChorus } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import { serverTestDatabase, type TestDatabase } from '../support/databases.js';
import { serviceUrl } from '../support/services.js';

const databaseUrl = serviceUrl('DATABASE_URL', 'projection progress between processes');

if (databaseUrl !== undefined) {
  let db: TestDatabase;
  const running: RunningChorus[] = [];

  test.after.always(async () => {
    for (const chorus of running.reverse()) await chorus.stop();
    await db?.drop();
  });

  test('batches a projector commits in another process are announced to the API process', async (t) => {
    db = await serverTestDatabase(databaseUrl);
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: db.url!, CHORUS_POLL_INTERVAL_MS: '60000' });
    const logger = pino({ level: 'silent' });
    const api = await startRoles(config, logger, { roles: ['api'] });
    running.push(api);
    const projector = await startRoles(config, logger, { roles: ['projector'] });
    running.push(projector);
    t.is(api.system.progress.batches('feedback'), 0);

    const response = await fetch(`${api.url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hello', rating: 5 }) });
    t.is(response.status, 201);
    const { position } = (await response.json()) as { position: string };
    for (let attempt = 0; attempt < 400 && api.system.progress.batches('feedback') === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
    t.true(api.system.progress.batches('feedback') > 0, "the projector's batch was announced in the API's process");
    t.true(projector.system.progress.batches('feedback') > 0);

    const read = await fetch(`${api.url}/v1/feedback/stats`, { headers: { 'X-Chorus-Min-Position': position } });
    t.is(read.status, 200);
    t.is(((await read.json()) as { total: number }).total, 1);
  });
}
