// The one place where adapters meet ports. Each system gets its own child container: no module singletons.
import 'reflect-metadata';
import path from 'node:path';
import { container, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import type { Clock } from '../application/ports/clock.js';
import type { EventStore } from '../application/ports/event-store.js';
import type { Ids } from '../application/ports/ids.js';
import { ProjectionApplier } from '../projections/projection-applier.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { ProjectionWorkers } from '../projections/projection-workers.js';
import type { Projection } from '../projections/projection.js';
import { allProjections } from '../projections/registry.js';
import { systemClock, uuidV7Ids } from './clock-and-ids.js';
import { IN_MEMORY, type Config } from './config.js';
import { openPglite, openPostgres, type SqlDatabase } from './db/database.js';
import { lockDataDir } from './db/data-dir-lock.js';
import { migrate } from './db/migrations.js';
import { isTransientError } from './db/transient-errors.js';
import { PostgresEventStore } from './eventstore/postgres/postgres-event-store.js';
import type { Logger } from './logging.js';

export const tokens = {
  config: Symbol('Config'),
  logger: Symbol('Logger'),
  clock: Symbol('Clock'),
  ids: Symbol('Ids'),
  database: Symbol('SqlDatabase'),
  eventStore: Symbol('EventStore'),
  projections: Symbol('Projections'),
  projectionWorkers: Symbol('ProjectionWorkers'),
} as const;

export type System = Readonly<{
  config: Config;
  logger: Logger;
  clock: Clock;
  ids: Ids;
  database: SqlDatabase;
  store: EventStore;
  projections: readonly Projection[];
  workers: ProjectionWorkers;
  close(): Promise<void>;
}>;

export async function openDatabase(config: Config, logger: Logger): Promise<SqlDatabase> {
  if (config.databaseUrl !== undefined) {
    return openPostgres(config.databaseUrl, {
      poolMax: config.databasePoolMax,
      onListenError: (error) => logger.warn({ err: error }, 'database connection error'),
    });
  }
  if (config.dataDir === IN_MEMORY) return openPglite(undefined);
  const unlock = await lockDataDir(config.dataDir);
  try {
    const database = await openPglite(path.join(config.dataDir, 'pgdata'));
    return { ...database, close: () => database.close().finally(unlock) };
  } catch (error) {
    await unlock();
    throw error;
  }
}

/** Opens the database, brings its schema up to date and wires every service (projections are not started). */
export async function openSystem(config: Config, logger: Logger): Promise<System> {
  const database = await openDatabase(config, logger);
  try {
    await migrate(database.db, 'up');
  } catch (error) {
    await database.close();
    throw error;
  }
  const c = register(container.createChildContainer(), config, logger, database);
  const workers = c.resolve<ProjectionWorkers>(tokens.projectionWorkers);
  return {
    config,
    logger,
    clock: c.resolve(tokens.clock),
    ids: c.resolve(tokens.ids),
    database,
    store: c.resolve(tokens.eventStore),
    projections: c.resolve(tokens.projections),
    workers,
    close: async () => {
      await workers.stop();
      await database.close();
      c.clearInstances();
    },
  };
}

function register(c: DependencyContainer, config: Config, logger: Logger, database: SqlDatabase): DependencyContainer {
  c.register(tokens.config, { useValue: config });
  c.register(tokens.logger, { useValue: logger });
  c.register(tokens.database, { useValue: database });
  c.register<Clock>(tokens.clock, { useValue: systemClock });
  c.register<Ids>(tokens.ids, { useValue: uuidV7Ids });
  c.register<readonly Projection[]>(tokens.projections, { useValue: allProjections });
  c.register<EventStore>(tokens.eventStore, {
    useFactory: instanceCachingFactory((r) => new PostgresEventStore(r.resolve(tokens.database), { pollIntervalMs: config.pollIntervalMs })),
  });
  c.register<ProjectionWorkers>(tokens.projectionWorkers, {
    useFactory: instanceCachingFactory((r) => {
      const store = r.resolve<EventStore>(tokens.eventStore);
      const options = { maxAttempts: config.projectionMaxAttempts, retryMinMs: 100, retryMaxMs: 30_000, isTransient: isTransientError };
      const runners = new Map(
        r.resolve<readonly Projection[]>(tokens.projections).map((projection) => {
          const applier = new ProjectionApplier(database.db, store, projection, logger, options);
          return [projection.name, new ProjectionRunner(database.db, store, applier, logger, config.projectionBatchSize)];
        }),
      );
      return new ProjectionWorkers(runners, logger);
    }),
  });
  return c;
}
