import test from 'ava';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startAll } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import { DataDirInUse } from '../../infrastructure/db/data-dir-lock.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';

test('the embedded profile keeps its data across restarts, and one data directory serves one process', async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'chorus-restart-'));
  const config = loadConfig({ ...TEST_CONFIG, CHORUS_DATA_DIR: dataDir, CHORUS_POLL_INTERVAL_MS: '100' });
  const logger = pino({ level: 'silent' });
  try {
    const first = await startAll(config, logger);
    const created = await fetch(`${first.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Survives a restart', rating: 4 }),
    }).then((r) => r.json() as Promise<{ id: string; position: string }>);
    const resolved = await fetch(`${first.url}/v1/feedback/${created.id}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await bearerFor(first, ['agent'])) },
      body: JSON.stringify({ status: 'resolved' }),
    });
    t.is(resolved.status, 200);
    await t.throwsAsync(startAll(config, logger), { instanceOf: DataDirInUse });
    await first.stop();

    const second = await startAll(config, logger);
    try {
      // The triage enricher categorizes it before the stop or after the restart; wait for that to settle.
      let events: { type: string; position: string }[] = [];
      for (let attempt = 0; attempt < 500 && !events.some((e) => e.type === 'FeedbackCategorized'); attempt++) {
        events = [];
        for await (const event of second.system.store.readStream(`feedback-${created.id}`)) events.push(event);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      t.deepEqual(
        events.map((e) => e.type).filter((type) => type !== 'FeedbackCategorized'),
        ['FeedbackSubmitted', 'FeedbackStatusChanged'],
      );
      const reply = await fetch(`${second.url}/v1/feedback/${created.id}`, { headers: { ...(await bearerFor(second, ['agent'])), 'X-Chorus-Min-Position': events.at(-1)!.position } });
      t.is(reply.status, 200);
      t.like(await reply.json(), { id: created.id, text: 'Survives a restart', status: 'resolved', revision: 2 });
    } finally {
      await second.stop();
    }
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});
