// Process roles. `start` runs every part of Chorus in this one process: the API, and the projections fed
// in-process from the event store.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../infrastructure/config.js';
import { describeDatabase } from '../infrastructure/config.js';
import { openSystem, type System } from '../infrastructure/composition-root.js';
import type { Logger } from '../infrastructure/logging.js';
import { createHttpApp } from './http/app.js';
import type { HttpDependencies } from './http/dependencies.js';

export type RunningChorus = Readonly<{
  system: System;
  url: string;
  /** Stops accepting connections, lets in-flight requests and projection batches finish, closes the database. */
  stop(): Promise<void>;
}>;

export const httpDependencies = (system: System): HttpDependencies => ({
  config: system.config,
  logger: system.logger,
  commands: { store: system.store, ids: system.ids, clock: system.clock },
  store: system.store,
  db: system.database.db,
  projections: system.projections,
  workers: system.workers,
});

export async function startAll(config: Config, logger: Logger): Promise<RunningChorus> {
  const system = await openSystem(config, logger);
  system.workers.start();
  const server = http.createServer(createHttpApp(httpDependencies(system)).callback());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    await system.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, data: describeDatabase(config) }, `Chorus is listening on ${url}; data: ${describeDatabase(config)}`);

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await system.close();
      logger.info('Chorus stopped');
    })());
  return { system, url, stop };
}

/** Stops gracefully on SIGTERM or SIGINT; a second signal, or the timeout, ends the process at once. */
export function stopOnSignals(running: RunningChorus, logger: Logger, timeoutMs: number): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.once('SIGTERM', () => process.exit(1));
    process.once('SIGINT', () => process.exit(1));
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
