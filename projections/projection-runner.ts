// Feeds one projection straight from the event store (no Kafka): the in-process relay of the embedded profile.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { EventStore } from '../application/ports/event-store.js';
import type { Schema } from '../infrastructure/db/schema.js';
import type { ProjectionApplier } from './projection-applier.js';

export class ProjectionRunner {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly store: EventStore,
    private readonly applier: ProjectionApplier,
    private readonly logger: Logger,
    private readonly batchSize: number,
  ) {}

  get name(): string {
    return this.applier.projection.name;
  }

  /** Runs until the signal aborts; the batch in hand when it does is finished first. */
  async run(signal: AbortSignal): Promise<void> {
    const { name, categories } = this.applier.projection;
    await this.applier.register();
    const from = await readCheckpoint(this.db, name);
    this.logger.info({ projection: name, from }, 'projection started');
    for await (const batch of this.store.subscribe({ from, categories, batchSize: this.batchSize, signal })) {
      await this.applier.apply(batch.events, { kind: 'checkpoint', position: batch.checkpoint }, signal);
    }
    this.logger.info({ projection: name }, 'projection stopped');
  }
}

export async function readCheckpoint(db: Kysely<Schema>, projection: string): Promise<string | null> {
  const row = await db.selectFrom('projections').select('checkpoint').where('name', '=', projection).executeTakeFirst();
  return row?.checkpoint ?? null;
}
