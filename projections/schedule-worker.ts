// Runs a context's schedule as a worker: once now, then every `everyMs`, until the workers stop. A failed run is
// logged and counted in the worker's health; the next one comes at its time.
import type { Logger } from 'pino';
import { describeError } from '../application/kernel/describe-error.js';
import { pauseUnlessAborted } from '../application/kernel/retry.js';
import { ConsumerHealth } from './consumer-health.js';
import type { Schedule } from './context-module.js';
import type { Worker } from './workers.js';

export function scheduleWorker(schedule: Schedule, logger: Logger): Worker {
  const health = new ConsumerHealth();
  return {
    health,
    async run(signal: AbortSignal): Promise<void> {
      while (!signal.aborted) {
        try {
          await schedule.run(signal);
          health.progressed();
        } catch (error) {
          if (signal.aborted) return;
          health.failed(describeError(error));
          logger.error({ worker: schedule.name, err: error }, 'scheduled run failed');
        }
        await pauseUnlessAborted(schedule.everyMs, signal);
      }
    },
  };
}
