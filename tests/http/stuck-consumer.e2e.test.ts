// A consumer that runs but keeps failing shows in readiness and metrics once it has failed for
// CHORUS_STUCK_AFTER_MS without progress, and stops showing as soon as it progresses again.
import test from 'ava';
import { sql } from 'kysely';
import { pino } from 'pino';
import { startAll } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';

type Ready = { status: string; checks: { workers: Record<string, string>; consumers: Record<string, { stuck: boolean; failures: number; lastError: string | null }> } };

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

test('a projection failing without progress is stuck in /health/ready and /metrics, and recovers', async (t) => {
  t.timeout(120_000);
  // Many attempts, so that the failing event is not dead-lettered (which would be progress) while we look.
  const config = loadConfig({ ...TEST_CONFIG, CHORUS_STUCK_AFTER_MS: '1000', CHORUS_PROJECTION_MAX_ATTEMPTS: '100' });
  const chorus = await startAll(config, pino({ level: 'silent' }));
  try {
    const operator = await bearerFor(chorus, ['operator']);
    const metricsText = async (): Promise<string> => (await fetch(`${chorus.url}/metrics`, { headers: operator })).text();
    const db = chorus.system.database.db;
    const ready = async (): Promise<{ status: number; body: Ready }> => {
      const response = await fetch(`${chorus.url}/health/ready`);
      return { status: response.status, body: (await response.json()) as Ready };
    };
    t.is((await ready()).status, 200);
    // The read model loses a table: every batch of the feedback projection now fails.
    await sql`alter table feedback_counts rename to feedback_counts_away`.execute(db);
    const created = await fetch(`${chorus.url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"while broken"}' });
    t.is(created.status, 201);

    const stuck = await until(ready, (r) => r.body.checks.workers['projection.feedback'] === 'stuck', 'the projection reported stuck');
    t.is(stuck.status, 503);
    t.is(stuck.body.status, 'not_ready');
    t.like(stuck.body.checks.consumers['projection.feedback'], { stuck: true, lastError: 'database error 42P01' });
    t.true(stuck.body.checks.consumers['projection.feedback']!.failures >= 2);
    t.is(stuck.body.checks.workers['enricher.feedback-triage'], 'running', 'only the failing consumer is stuck');
    const metrics = await metricsText();
    t.regex(metrics, /chorus_consumer_stuck\{consumer="projection\.feedback"\} 1/);
    t.regex(metrics, /chorus_consumer_stuck\{consumer="enricher\.feedback-triage"\} 0/);

    await sql`alter table feedback_counts_away rename to feedback_counts`.execute(db);
    const recovered = await until(ready, (r) => r.status === 200, 'readiness back');
    t.is(recovered.body.checks.workers['projection.feedback'], 'running');
    t.like(recovered.body.checks.consumers['projection.feedback'], { stuck: false, failures: 0 });
    t.regex(await metricsText(), /chorus_consumer_stuck\{consumer="projection\.feedback"\} 0/);
  } finally {
    await chorus.stop();
  }
});
