import test from 'ava';
import { pino } from 'pino';
import { ConsumerHealth } from '../../projections/consumer-health.js';
import { Workers } from '../../projections/workers.js';

test('a running worker whose consumer fails without progress past the threshold is stuck, and recovers with progress', async (t) => {
  let now = 0;
  const health = new ConsumerHealth(() => now);
  const workers = new Workers(new Map([['projection.feedback', { run: (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())), health }]]), pino({ level: 'silent' }), 1000);
  workers.start();
  t.deepEqual(workers.state(), { 'projection.feedback': 'running' });
  health.failed('database error 57P01');
  now = 999;
  t.deepEqual(workers.state(), { 'projection.feedback': 'running' }, 'failing, but not for long enough');
  now = 1000;
  t.deepEqual(workers.state(), { 'projection.feedback': 'stuck' });
  t.like(workers.health()['projection.feedback'], { stuck: true, failures: 1, failingSince: new Date(0).toISOString(), lastError: 'database error 57P01' });
  health.progressed();
  t.deepEqual(workers.state(), { 'projection.feedback': 'running' });
  t.like(workers.health()['projection.feedback'], { stuck: false, failures: 0, lastError: null, lastProgressAt: new Date(1000).toISOString() });
  await workers.stop();
  t.deepEqual(workers.state(), { 'projection.feedback': 'stopped' });
});
