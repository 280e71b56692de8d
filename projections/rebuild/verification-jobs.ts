// Verifications that operators start over HTTP: each runs in the background in the process that took the request,
// with its outcome kept in projection_verifications so that any process answers for it.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { describeError } from '../../application/kernel/describe-error.js';
import type { EventStore } from '../../application/ports/event-store.js';
import type { Ids } from '../../application/ports/ids.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import { verifyProjection, type RowDifference } from './projection-verification.js';

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
    private readonly logger: Logger,
    private readonly options: Readonly<{ batchSize: number; examples: number }>,
  ) {}

  /** Records the verification and starts it; answers its id at once. */
  async start(projection: Projection): Promise<string> {
    const id = this.ids.next();
    await this.db.insertInto('projection_verifications').values({ id, projection: projection.name, status: 'running', missing: 0, extra: 0, different: 0, examples: '[]', error: null, started_at: new Date(), finished_at: null }).execute();
    const job = this.run(id, projection).finally(() => this.running.delete(job));
    this.running.add(job);
    return id;
  }

  async get(id: string): Promise<VerificationView | null> {
    if (!isUuid(id)) return null;
    const row = await this.db.selectFrom('projection_verifications').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) return null;
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

  private async run(id: string, projection: Projection): Promise<void> {
    try {
      const { missing, extra, different, examples } = await verifyProjection(this.db, this.store, projection, { ...this.options, signal: this.stopping.signal });
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
