// Verifications: started over HTTP (each runs in the background in the process that took the request, its outcome
// kept in projection_verifications so that any process answers for it) or run at once from the shell.
//
// A process can die midway (kill -9, a lost machine). Each verification holds a lock named after its id for as long
// as it runs (an advisory lock on PostgreSQL, which goes with the session): a row still `running` whose lock is free
// belongs to a process that died, and reads as failed; scratch schemas whose lock is free are leftovers, and the
// next verification drops them.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { describeError } from '../../application/kernel/describe-error.js';
import type { EventStore } from '../../application/ports/event-store.js';
import type { Ids } from '../../application/ports/ids.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import { dropSchema } from './build-schemas.js';
import type { ProjectionLock } from './projection-rebuilds.js';
import { idOfScratch, scratchSchemasOf, verifyProjection, type RowDifference, type Verification } from './projection-verification.js';

export type VerificationView = Readonly<{
  id: string;
  projection: string;
  status: 'running' | 'completed' | 'failed';
  /** Whether the live build equals what its code makes of the log (null until completed). */
  equal: boolean | null;
  missing: number;
  extra: number;
  different: number;
  examples: readonly RowDifference[];
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}>;

export class VerificationJobs {
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly store: EventStore,
    private readonly ids: Ids,
    private readonly lock: ProjectionLock,
    private readonly logger: Logger,
    private readonly options: Readonly<{ batchSize: number; examples: number }>,
  ) {}

  /** Verifies now, in this process (the shell's `chorus verify`), with no record kept. */
  async verify(projection: Projection, examples: number): Promise<Verification> {
    const id = this.ids.next();
    const outcome = await this.lock(lockOf(id), async () => {
      await this.dropLeftovers();
      return verifyProjection(this.db, this.store, projection, id, { ...this.options, examples, signal: this.stopping.signal });
    });
    if (!outcome.held) throw new Error(`verification ${id} is held already`); // a fresh id: nobody else has it
    return outcome.value;
  }

  /** Records the verification and starts it in the background; answers its id once it runs. */
  async start(projection: Projection): Promise<string> {
    const id = this.ids.next();
    let running = (): void => undefined;
    const recorded = new Promise<void>((resolve) => (running = resolve));
    // The row is written and finished while the lock is held, so a `running` row with a free lock has lost its process.
    const job = this.lock(lockOf(id), async () => {
      await this.db.insertInto('projection_verifications').values({ id, projection: projection.name, status: 'running', missing: 0, extra: 0, different: 0, examples: '[]', error: null, started_at: new Date(), finished_at: null }).execute();
      running();
      await this.run(id, projection);
    });
    const tracked = job.then(() => undefined, () => undefined).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
    await Promise.race([recorded, job]);
    return id;
  }

  async get(asked: string): Promise<VerificationView | null> {
    if (!isUuid(asked)) return null;
    const id = asked.toLowerCase(); // as minted, and as its lock is named
    let row = await this.db.selectFrom('projection_verifications').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) return null;
    if (row.status === 'running' && (await this.lock(lockOf(id), async () => undefined)).held) {
      await this.db
        .updateTable('projection_verifications')
        .set({ status: 'failed', error: 'The process running this verification stopped before it finished; start it again', finished_at: new Date() })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .execute();
      row = await this.db.selectFrom('projection_verifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    }
    return {
      id: row.id,
      projection: row.projection,
      status: row.status,
      equal: row.status === 'completed' ? row.missing + row.extra + row.different === 0 : null,
      missing: row.missing,
      extra: row.extra,
      different: row.different,
      examples: row.examples as RowDifference[],
      error: row.error,
      startedAt: row.started_at.toISOString(),
      finishedAt: row.finished_at?.toISOString() ?? null,
    };
  }

  /** Stops the verifications this process runs (recorded as failed, to be started again) and waits for them. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.running);
  }

  /** Drops the scratch schemas of verifications whose process died (their lock free). */
  private async dropLeftovers(): Promise<void> {
    for (const [scratch, schemas] of await scratchSchemasOf(this.db)) {
      const id = idOfScratch(scratch);
      if (id === null) continue;
      const dropped = await this.lock(lockOf(id), async () => {
        for (const schema of schemas) await dropSchema(this.db, schema);
      });
      if (dropped.held) this.logger.warn({ scratch }, 'dropped the scratch schemas of a verification whose process stopped');
    }
  }

  private async run(id: string, projection: Projection): Promise<void> {
    try {
      await this.dropLeftovers();
      const { missing, extra, different, examples } = await verifyProjection(this.db, this.store, projection, id, { ...this.options, signal: this.stopping.signal });
      await this.db
        .updateTable('projection_verifications')
        .set({ status: 'completed', missing, extra, different, examples: JSON.stringify(examples), finished_at: new Date() })
        .where('id', '=', id)
        .execute();
    } catch (error) {
      this.logger.error({ err: error, verification: id, projection: projection.name }, 'verification failed');
      await this.db
        .updateTable('projection_verifications')
        .set({ status: 'failed', error: describeError(error), finished_at: new Date() })
        .where('id', '=', id)
        .execute()
        .catch(() => undefined);
    }
  }
}

const lockOf = (id: string): string => `verify:${id}`;
