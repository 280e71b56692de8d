// Blue/green rebuilds of projections. A rebuild builds the projection's next build from the start of the log into
// copies of its tables (see build-schemas.ts) while the live build keeps serving and being updated, committing its
// checkpoint with every batch so that it resumes after a crash; once caught up it swaps the builds in one
// transaction, which also applies the last few events, and keeps the old build as the previous one for a rollback.
// One rebuild, rollback or drop of a projection at a time, across every process (see ProjectionLock).
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { describeError } from '../../application/kernel/describe-error.js';
import { pauseUnlessAborted, yieldToEventLoop } from '../../application/kernel/retry.js';
import type { EventStore, Position, ReadAllOptions, RecordedEvent } from '../../application/ports/event-store.js';
import { IllegalState, NotFound } from '../../domain/kernel/errors.js';
import { registerProjection, type ConsumerOptions } from '../projection-applier.js';
import type { AppliedPosition } from '../projection-status.js';
import { streamsKeyOf, type Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import { createEmptyCopies, dropSchema, nextSchemaOf, previousSchemaOf, schemaExists, swapInNext, swapWithPrevious } from './build-schemas.js';
import { BuildWriter, buildConsumerOf, type Build } from './build-writer.js';

/** Runs `work` holding the projection's lock, or answers false at once when another process holds it. */
export type ProjectionLock = <T>(projection: string, work: () => Promise<T>) => Promise<{ held: true; value: T } | { held: false }>;

export type RebuildOptions = ConsumerOptions &
  Readonly<{
    batchSize: number;
    /** Who runs it (host and process), shown to whoever finds the lock held. */
    holder: string;
  }>;

export type RebuildDependencies = Readonly<{
  db: Kysely<Schema>;
  store: EventStore;
  lock: ProjectionLock;
  appliedPosition: AppliedPosition;
  logger: Logger;
  options: RebuildOptions;
}>;

export type RebuildOutcome = Readonly<{ status: 'completed' | 'stopped'; generation: number; processed: number }>;

/** A rebuild, rollback or drop of this projection runs elsewhere. */
export class RebuildRunning extends IllegalState {
  constructor(projection: string, holder: string | null) {
    super('PROJECTION.REBUILD_RUNNING', `A rebuild of ${projection} is running${holder === null ? '' : ` (${holder})`}: wait for it to finish`);
  }
}

type PreparedBuild = Readonly<{ generation: number; checkpoint: Position | null; processed: number }>;

/** Swaps wait for a moment when the live build commits nothing; they try again this soon. */
const SWAP_RETRY_MS = 20;

export class ProjectionRebuilds {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly deps: RebuildDependencies,
    readonly projections: readonly Projection[],
  ) {}

  projection(name: string): Projection {
    const projection = this.projections.find((candidate) => candidate.name === name);
    if (projection === undefined) throw new NotFound('PROJECTION.NOT_FOUND', `No projection is called "${name}": use ${this.projections.map((p) => p.name).join(', ')}`);
    return projection;
  }

  /**
   * Takes the projection's lock and starts its rebuild (resuming one that stopped); resolves once the rebuild runs,
   * with `finished` settling when it ends. Throws RebuildRunning when another process holds the lock.
   */
  async start(name: string, signal?: AbortSignal): Promise<{ finished: Promise<RebuildOutcome> }> {
    const projection = this.projection(name);
    const controller = new AbortController();
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const finished = this.locked(name, async () => {
      this.running.set(name, controller);
      try {
        const build = await this.prepare(projection);
        started();
        return await this.rebuild(projection, build, controller.signal);
      } finally {
        this.running.delete(name);
      }
    });
    await Promise.race([running, finished]);
    return { finished };
  }

  /** Rebuilds and waits for the end. */
  async run(name: string, signal?: AbortSignal): Promise<RebuildOutcome> {
    return (await this.start(name, signal)).finished;
  }

  /** Makes the previous build live again (after catching it up), keeping the current one as the previous. */
  async rollback(name: string, signal: AbortSignal = new AbortController().signal): Promise<{ generation: number; version: number }> {
    const projection = this.projection(name);
    return this.locked(name, async () => {
      const live = await this.liveRow(projection);
      if (live.previous_generation === null || !(await schemaExists(this.deps.db, previousSchemaOf(name)))) {
        throw new IllegalState('PROJECTION.NO_PREVIOUS', `${name} has no previous build to roll back to`);
      }
      const generation = live.previous_generation;
      const build: Build = {
        projection,
        generation,
        schema: previousSchemaOf(name),
        saveCheckpoint: async (tx, position) => {
          await tx.updateTable('projections').set({ previous_position: position }).where('name', '=', name).execute();
        },
      };
      await this.catchUpAndSwap(build, live.previous_position, signal, (tx) => swapWithPrevious(tx, name, projection.tables), live.previous_version ?? projection.version);
      this.deps.logger.warn({ projection: name, generation }, 'projection rolled back to its previous build');
      return { generation, version: live.previous_version ?? projection.version };
    });
  }

  /** Drops the previous build (its tables, per-stream revisions and dead letters). False when there was none. */
  async dropPrevious(name: string): Promise<boolean> {
    const projection = this.projection(name);
    return this.locked(name, async () => {
      const live = await this.liveRow(projection);
      const existed = await schemaExists(this.deps.db, previousSchemaOf(name));
      await this.deps.db.transaction().execute(async (tx) => {
        await dropSchema(tx, previousSchemaOf(name));
        if (live.previous_generation !== null) await forgetBuild(tx, name, live.previous_generation);
        await tx.updateTable('projections').set({ previous_generation: null, previous_version: null, previous_position: null }).where('name', '=', name).execute();
      });
      return existed || live.previous_generation !== null;
    });
  }

  /** Stops the rebuilds this process runs after their batch in hand; each resumes from its checkpoint when run again. */
  async stop(): Promise<void> {
    for (const controller of this.running.values()) controller.abort();
    while (this.running.size > 0) await pauseUnlessAborted(20);
  }

  isRunningHere(name: string): boolean {
    return this.running.has(name);
  }

  private async locked<T>(name: string, work: () => Promise<T>): Promise<T> {
    const outcome = await this.deps.lock(name, work);
    if (outcome.held) return outcome.value;
    const row = await this.deps.db.selectFrom('projection_rebuilds').select(['holder', 'status']).where('projection', '=', name).executeTakeFirst();
    throw new RebuildRunning(name, row?.status === 'building' ? row.holder : null);
  }

  private async rebuild(projection: Projection, prepared: PreparedBuild, signal: AbortSignal): Promise<RebuildOutcome> {
    const { name } = projection;
    const { db, store, logger } = this.deps;
    const { generation, checkpoint, processed: before } = prepared;
    logger.info({ projection: name, generation, from: checkpoint }, checkpoint === null ? 'rebuild started' : 'rebuild resumed');
    const selection = { categories: projection.categories, types: projection.handles };
    const total = before + (await store.countEvents({ ...selection, from: checkpoint }));
    await db.updateTable('projection_rebuilds').set({ total }).where('projection', '=', name).execute();
    const started = performance.now();
    let processed = before;
    const build: Build = {
      projection,
      generation,
      schema: nextSchemaOf(name),
      saveCheckpoint: async (tx, position, events) => {
        processed += events;
        const seconds = (performance.now() - started) / 1000;
        const rate = seconds > 0 ? (processed - before) / seconds : 0;
        const left = Math.max(0, total - processed);
        await tx
          .updateTable('projection_rebuilds')
          .set({
            checkpoint: position,
            processed: sql<string>`processed + ${events}`,
            rate,
            eta_seconds: left === 0 ? 0 : rate > 0 ? left / rate : null,
            updated_at: new Date(),
          })
          .where('projection', '=', name)
          .where('generation', '=', generation)
          .execute();
      },
    };
    try {
      const swapped = await this.catchUpAndSwap(build, checkpoint, signal, (tx) => swapInNext(tx, name, projection.tables), projection.version);
      if (!swapped) {
        logger.info({ projection: name, generation, processed }, 'rebuild stopped; it resumes from its checkpoint');
        return { status: 'stopped', generation, processed };
      }
      await db.updateTable('projection_rebuilds').set({ status: 'completed', finished_at: new Date(), updated_at: new Date(), eta_seconds: 0 }).where('projection', '=', name).execute();
      logger.info({ projection: name, generation, processed }, 'rebuild completed and swapped in');
      return { status: 'completed', generation, processed };
    } catch (error) {
      if (signal.aborted) return { status: 'stopped', generation, processed };
      await db.updateTable('projection_rebuilds').set({ status: 'failed', last_error: describeError(error), updated_at: new Date() }).where('projection', '=', name).execute();
      throw error;
    }
  }

  /** The build to continue (same generation and code version, its tables still there), or a new, empty one. */
  private async prepare(projection: Projection): Promise<PreparedBuild> {
    const { db, options } = this.deps;
    const { name } = projection;
    const live = await this.liveRow(projection);
    const last = await db.selectFrom('projection_rebuilds').selectAll().where('projection', '=', name).executeTakeFirst();
    const now = new Date();
    if (last !== undefined && last.status !== 'completed' && last.version === projection.version && (await schemaExists(db, nextSchemaOf(name)))) {
      await db.updateTable('projection_rebuilds').set({ status: 'building', holder: options.holder, updated_at: now }).where('projection', '=', name).execute();
      return { generation: last.generation, checkpoint: last.checkpoint, processed: Number(last.processed) };
    }
    const generation = Math.max(live.generation, live.previous_generation ?? 0, last?.generation ?? 0) + 1;
    // An abandoned build (another code version, or its tables gone) leaves nothing behind.
    if (last !== undefined && last.generation !== live.generation && last.generation !== live.previous_generation) await forgetBuild(db, name, last.generation);
    await createEmptyCopies(db, projection.tables, nextSchemaOf(name));
    const row = {
      projection: name,
      generation,
      version: projection.version,
      status: 'building' as const,
      checkpoint: null,
      processed: 0,
      total: 0,
      rate: 0,
      eta_seconds: null,
      last_error: null,
      holder: options.holder,
      started_at: now,
      updated_at: now,
      finished_at: null,
    };
    await db
      .insertInto('projection_rebuilds')
      .values(row)
      .onConflict((oc) => oc.column('projection').doUpdateSet(row))
      .execute();
    return { generation, checkpoint: null, processed: 0 };
  }

  /**
   * Brings `build` up to the head of the log in batches, then swaps it in: in one transaction holding the live
   * projection's row lock (which each live batch takes first), the events since the last batch are applied and
   * the tables swapped. The tail is read before that transaction (on PGlite the store shares its one connection),
   * so the swap goes ahead only if the live build committed nothing since the tail was read; else it tries again.
   * False when stopped by the signal.
   */
  private async catchUpAndSwap(
    build: Build,
    from: Position | null,
    signal: AbortSignal,
    swapTables: (tx: Transaction<Schema>) => Promise<void>,
    version: number,
  ): Promise<boolean> {
    const { db, store, logger, options, appliedPosition } = this.deps;
    const { projection, generation } = build;
    const { name } = projection;
    const writer = new BuildWriter(db, build, logger, options, (summary) => this.recordError(name, summary));
    const selection: ReadAllOptions = { categories: projection.categories, types: projection.handles };
    let checkpoint = from;
    for (;;) {
      await yieldToEventLoop();
      if (signal.aborted) return false;
      const events = await readPage(store, { ...selection, from: checkpoint, limit: options.batchSize });
      if (events.length > 0) {
        await writer.write(events, signal);
        checkpoint = events[events.length - 1]!.position;
      }
      if (events.length === options.batchSize) continue;
      // Caught up: the swap, once the live build is quiet between reading the tail and taking its lock.
      const stamp = await liveStamp(db, name);
      const tail = await readPage(store, { ...selection, from: checkpoint, limit: options.batchSize });
      if (tail.length === options.batchSize) continue;
      const swapped = await db
        .transaction()
        .execute(async (tx) => {
          const live = await tx.selectFrom('projections').select(['generation', 'version']).where('name', '=', name).forUpdate().executeTakeFirstOrThrow();
          if ((await liveStamp(tx, name)) !== stamp) return false;
          if (tail.length > 0) await writer.writeIn(tx, tail, tail[tail.length - 1]!.position, tail.length);
          const outgoingPosition = await appliedPosition(tx, projection);
          const replaced = await tx.selectFrom('projections').select('previous_generation').where('name', '=', name).executeTakeFirstOrThrow();
          await swapTables(tx);
          // The build swapped out keeps its per-stream revisions and dead letters under its own names.
          const liveConsumer = `projection.${name}`;
          if (replaced.previous_generation !== null && replaced.previous_generation !== generation) await forgetBuild(tx, name, replaced.previous_generation);
          await tx.updateTable('dead_letters').set({ consumer: buildConsumerOf(name, live.generation) }).where('consumer', '=', liveConsumer).execute();
          await tx.updateTable('dead_letters').set({ consumer: liveConsumer }).where('consumer', '=', buildConsumerOf(name, generation)).execute();
          await tx
            .updateTable('projections')
            .set({
              generation,
              version,
              previous_generation: live.generation,
              previous_version: live.version,
              previous_position: outgoingPosition,
              applied_batches: sql<string>`applied_batches + 1`,
              last_error: null,
              last_error_at: null,
              updated_at: new Date(),
            })
            .where('name', '=', name)
            .execute();
          return true;
        })
        .catch(async (error: unknown) => {
          if (tail.length === 0) throw error;
          // A tail event that fails goes through the batches, where it is retried and dead-lettered like any other.
          logger.warn({ projection: name, err: error }, 'swap failed; the tail is applied in batches first');
          await writer.write(tail, signal);
          checkpoint = tail[tail.length - 1]!.position;
          return false;
        });
      if (swapped) return true;
      await pauseUnlessAborted(SWAP_RETRY_MS, signal);
    }
  }

  private async liveRow(projection: Projection) {
    const { db } = this.deps;
    await registerProjection(db, projection);
    return db.selectFrom('projections').selectAll().where('name', '=', projection.name).executeTakeFirstOrThrow();
  }

  private async recordError(name: string, summary: string): Promise<void> {
    await this.deps.db.updateTable('projection_rebuilds').set({ last_error: summary, updated_at: new Date() }).where('projection', '=', name).execute();
  }
}

async function readPage(store: EventStore, options: ReadAllOptions): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll(options)) events.push(event);
  return events;
}

/**
 * Changes whenever a live batch changes the read model or parks an event: what a swap must not miss. Batches that
 * change nothing (the checkpoint moving past other events) leave it as it is.
 */
async function liveStamp(db: Kysely<Schema>, name: string): Promise<string> {
  const { rows } = await sql<{ stamp: string }>`
    select p.applied_batches::text || ':' || coalesce((select max(d.id) from dead_letters d where d.consumer = ${`projection.${name}`}), 0)::text as stamp
    from projections p where p.name = ${name}`.execute(db);
  return rows[0]!.stamp;
}

/** Deletes what a build kept besides its tables: its per-stream revisions and its dead letters. */
async function forgetBuild(db: Kysely<Schema>, name: string, generation: number): Promise<void> {
  await db.deleteFrom('projection_streams').where('projection', '=', streamsKeyOf(name, generation)).execute();
  await db.deleteFrom('dead_letters').where('consumer', '=', buildConsumerOf(name, generation)).execute();
}
