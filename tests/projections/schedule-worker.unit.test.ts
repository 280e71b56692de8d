import test from 'ava';
import { pino } from 'pino';
import type { Schedule } from '../../projections/context-module.js';
import { scheduleWorker } from '../../projections/schedule-worker.js';

test('a schedule runs at once and then every everyMs; a failed run shows in its health and the next run goes on; abort ends it', async (t) => {
  const controller = new AbortController();
  let runs = 0;
  let seenAfterFailure: unknown;
  const schedule: Schedule = {
    name: 'schedule.test',
    everyMs: 10,
    run: async () => {
      runs++;
      if (runs === 2) throw new Error('the database went away');
      if (runs === 3) seenAfterFailure = worker.health!.snapshot(60_000);
      if (runs === 4) controller.abort();
    },
  };
  const worker = scheduleWorker(schedule, pino({ level: 'silent' }));
  await worker.run(controller.signal);
  t.is(runs, 4, 'it ran past the failure, and stopped once aborted');
  t.like(seenAfterFailure, { failures: 1, lastError: 'the database went away' }, 'the failure showed in its health until a run succeeded');
  t.like(worker.health!.snapshot(60_000), { failures: 0, lastError: null });
});
