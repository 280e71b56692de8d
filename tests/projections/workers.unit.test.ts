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

const untilAborted = (signal: AbortSignal) => new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));

test('restart() aborts the run in hand and starts the next; stop() waits for it', async (t) => {
  const signals: AbortSignal[] = [];
  const workers = new Workers(new Map([['relay', { run: (signal: AbortSignal) => (signals.push(signal), untilAborted(signal)), role: 'relay' }]]), pino({ level: 'silent' }), 1000);
  workers.start();
  t.is(signals.length, 1);
  await workers.restart('relay');
  t.is(signals.length, 2);
  t.true(signals[0]!.aborted, 'the first run was asked to end');
  t.false(signals[1]!.aborted);
  t.is(workers.restarts('relay'), 1);
  t.deepEqual(workers.state(), { relay: 'running' });
  await workers.stop();
  t.true(signals[1]!.aborted);
  t.deepEqual(workers.state(), { relay: 'stopped' });
  await t.throwsAsync(() => workers.restart('relay'), { message: /no running worker/ });
});

test('a crash is announced with the pause before the next run, which doubles with crashes in a row', async (t) => {
  let runs = 0;
  const crashes: { worker: string; crashesInARow: number; pauseMs: number }[] = [];
  const workers = new Workers(
    new Map([
      [
        'projection.feed',
        {
          run: async (signal: AbortSignal) => {
            runs++;
            if (runs <= 2) throw new Error(`crash ${runs}`);
            await untilAborted(signal);
          },
        },
      ],
    ]),
    pino({ level: 'silent' }),
    1000,
  );
  const third = new Promise<void>((resolve) =>
    workers.onCrash((crash) => {
      crashes.push({ worker: crash.worker, crashesInARow: crash.crashesInARow, pauseMs: crash.pauseMs });
      if (crash.crashesInARow === 2) resolve();
    }),
  );
  workers.start();
  await third;
  t.deepEqual(crashes, [
    { worker: 'projection.feed', crashesInARow: 1, pauseMs: 1000 },
    { worker: 'projection.feed', crashesInARow: 2, pauseMs: 2000 },
  ]);
  t.deepEqual(workers.state(), { 'projection.feed': 'restarting' });
  // Stopping during the pause does not wait it out, and runs nothing more.
  await workers.stop();
  t.is(runs, 2);
  t.deepEqual(workers.state(), { 'projection.feed': 'stopped' });
});
