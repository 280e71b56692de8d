import type { Kysely } from 'kysely';
import type { CommandDependencies } from '../../application/kernel/handle-command.js';
import type { EventStore } from '../../application/ports/event-store.js';
import type { Config } from '../../infrastructure/config.js';
import type { Schema } from '../../infrastructure/db/schema.js';
import type { Logger } from '../../infrastructure/logging.js';
import type { Projection } from '../../projections/projection.js';
import type { ProjectionWorkers } from '../../projections/projection-workers.js';

/** What the HTTP layer needs from the system, and nothing more. */
export type HttpDependencies = Readonly<{
  config: Config;
  logger: Logger;
  commands: CommandDependencies;
  store: EventStore;
  db: Kysely<Schema>;
  projections: readonly Projection[];
  workers: ProjectionWorkers;
}>;
