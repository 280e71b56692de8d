// Keeps one projection up to date: reads batches from the log and applies each one in a single transaction
// together with the checkpoint and the per-stream revisions, so a crash or a redelivery changes nothing.
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { EventStore, RecordedEvent, SubscriptionBatch } from '../application/ports/event-store.js';
import type { Schema } from '../infrastructure/db/schema.js';
import type { Projection } from './projection.js';

export type ProjectionRunnerOptions = Readonly<{
  batchSize: number;
  /** First and largest pause between attempts at a batch that failed. */
  retryMinMs: number;
  retryMaxMs: number;
}>;

export class ProjectionRunner {
  private readonly handles: ReadonlySet<string>;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly store: EventStore,
    private readonly projection: Projection,
    private readonly logger: Logger,
    private readonly options: ProjectionRunnerOptions,
  ) {
    this.handles = new Set(projection.handles);
  }

  /** Runs until the signal aborts; the batch in hand when it does is finished first. */
  async run(signal: AbortSignal): Promise<void> {
    const { name, version, categories } = this.projection;
    await this.db
      .insertInto('projections')
      .values({ name, version, checkpoint: null, last_error: null, last_error_at: null, updated_at: new Date() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const from = await readCheckpoint(this.db, name);
    this.logger.info({ projection: name, from }, 'projection started');
    for await (const batch of this.store.subscribe({ from, categories, batchSize: this.options.batchSize, signal })) {
      await this.applyWithRetry(batch, signal);
    }
    this.logger.info({ projection: name }, 'projection stopped');
  }

  private async applyWithRetry(batch: SubscriptionBatch, signal: AbortSignal): Promise<void> {
    for (let attempt = 1, pause = this.options.retryMinMs; ; attempt++, pause = Math.min(pause * 2, this.options.retryMaxMs)) {
      try {
        await this.db.transaction().execute((tx) => this.applyBatch(tx, batch));
        return;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.logger.error({ projection: this.projection.name, attempt, err: error, checkpoint: batch.checkpoint }, 'projection batch failed');
        await this.db
          .updateTable('projections')
          .set({ last_error: message, last_error_at: new Date() })
          .where('name', '=', this.projection.name)
          .execute()
          .catch(() => undefined);
        if (signal.aborted) throw new Error(`Projection ${this.projection.name} stopped while a batch was failing: ${message}`);
        await pauseUnlessAborted(pause, signal);
      }
    }
  }

  private async applyBatch(tx: Transaction<Schema>, batch: SubscriptionBatch): Promise<void> {
    const { name } = this.projection;
    // The row lock makes a second runner of the same projection wait, then skip what this one applied.
    const stored = await tx.selectFrom('projections').select('checkpoint').where('name', '=', name).forUpdate().executeTakeFirstOrThrow();
    if (stored.checkpoint !== null && this.store.comparePositions(stored.checkpoint, batch.checkpoint) >= 0) return;

    const { fresh, revisions } = await this.unappliedEvents(tx, batch.events);
    if (fresh.length > 0) {
      await this.projection.apply(tx, fresh);
      await tx
        .insertInto('projection_streams')
        .values([...revisions].map(([stream_id, revision]) => ({ projection: name, stream_id, revision })))
        .onConflict((oc) => oc.columns(['projection', 'stream_id']).doUpdateSet((eb) => ({ revision: eb.ref('excluded.revision') })))
        .execute();
    }
    await tx
      .updateTable('projections')
      .set({ checkpoint: batch.checkpoint, last_error: null, last_error_at: null, updated_at: new Date() })
      .where('name', '=', name)
      .execute();
  }

  /** The batch's events this projection handles and has not applied yet, judged by stream revision. */
  private async unappliedEvents(
    tx: Transaction<Schema>,
    events: readonly RecordedEvent[],
  ): Promise<{ fresh: RecordedEvent[]; revisions: Map<string, number> }> {
    const handled = events.filter((event) => this.handles.has(event.type));
    const revisions = new Map<string, number>();
    if (handled.length === 0) return { fresh: [], revisions };
    const rows = await tx
      .selectFrom('projection_streams')
      .select(['stream_id', 'revision'])
      .where('projection', '=', this.projection.name)
      .where('stream_id', 'in', [...new Set(handled.map((event) => event.streamId))])
      .execute();
    const applied = new Map(rows.map((row) => [row.stream_id, Number(row.revision)]));
    const fresh = handled.filter((event) => {
      if (event.revision <= (revisions.get(event.streamId) ?? applied.get(event.streamId) ?? -1)) return false;
      revisions.set(event.streamId, event.revision);
      return true;
    });
    return { fresh, revisions };
  }
}

export async function readCheckpoint(db: Kysely<Schema>, projection: string): Promise<string | null> {
  const row = await db.selectFrom('projections').select('checkpoint').where('name', '=', projection).executeTakeFirst();
  return row?.checkpoint ?? null;
}

function pauseUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
