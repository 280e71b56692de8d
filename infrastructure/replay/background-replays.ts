// Replays started over HTTP run in the background of the API process that took the request, their state in the
// `replays` table so that every API process behind a load balancer answers for every replay. The runner records
// progress after each acknowledged batch and a heartbeat in between, and stops after the batch in hand once a
// cancel is asked for: at once when the cancel reaches its own process, else at its next progress or heartbeat.
import type { Kysely } from 'kysely';
import { describeError } from '../../application/kernel/describe-error.js';
import type { EventStore } from '../../application/ports/event-store.js';
import { replay, type ReplayProgress, type ReplaySelection, type ReplayTarget } from '../../application/replay/replay.js';
import { replaySelectionOf, type ReplayRequest } from '../../application/replay/replay-request.js';
import { IllegalState, NotFound } from '../../domain/kernel/errors.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import type { Schema } from '../../projections/schema.js';
import type { Logger } from '../logging.js';
import { finishReplay, insertReplay, readReplay, requestCancel, touchReplay, type ReplayStatus, type ReplayView } from './replays-table.js';

/**
 * A running replay refreshes its row this often, even while a batch or a throttled pause lasts. Six missed
 * heartbeats (30 s) mean its process is gone: long enough that a busy event loop or database is not taken for a
 * death, short enough that an operator is not left waiting on a replay that will never end.
 */
const HEARTBEAT_MS = 5_000;
const STALE_AFTER_MS = 30_000;
/** How long a cancel answered by the replay's own process waits for it to finish the batch in hand. */
const CANCEL_WAIT_MS = 5_000;

/** What an API process can replay to. */
export type ReplayTargets = Readonly<{
  /** Throws when the request's target cannot be used here: an unknown projection or topic, no Kafka. */
  check(request: ReplayRequest): void;
  open(request: ReplayRequest): Promise<ReplayTarget>;
}>;

/** Why a replay of this process was stopped. */
const CANCELLED = 'cancelled';
const SHUTDOWN = 'shutdown';

type Run = { controller: AbortController; done: Promise<void> };

export class BackgroundReplays {
  private readonly runs = new Map<string, Run>();
  private closing = false;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly store: EventStore,
    private readonly targets: ReplayTargets,
    private readonly logger: Logger,
  ) {}

  /** Checks the request, records it under `id` and starts it in this process; a retried request gets its replay. */
  async start(id: string, request: ReplayRequest): Promise<ReplayView> {
    if (this.closing) throw new IllegalState('REPLAY.SHUTTING_DOWN', 'This API process is shutting down: send the request again');
    const selection = replaySelectionOf(request, this.store);
    this.targets.check(request);
    if (await insertReplay(this.db, id, request)) {
      const controller = new AbortController();
      const done = this.run(id, request, selection, controller).finally(() => this.runs.delete(id));
      this.runs.set(id, { controller, done });
    }
    return this.view(id);
  }

  async view(id: string): Promise<ReplayView> {
    const found = isUuid(id) ? await readReplay(this.db, id.toLowerCase(), STALE_AFTER_MS) : undefined;
    if (found === undefined) throw new NotFound('REPLAY.NOT_FOUND', `There is no replay ${id.slice(0, 40)}`);
    return found;
  }

  /**
   * Asks a running replay to stop after the batch in hand. Run by this process, it stops at once and the answer
   * says `cancelled`; run by another, the answer says `running` with `cancelRequested` until that runner stops.
   */
  async cancel(id: string): Promise<ReplayView> {
    if (!isUuid(id) || !(await requestCancel(this.db, id.toLowerCase(), STALE_AFTER_MS))) {
      const { status } = await this.view(id);
      throw new IllegalState('REPLAY.NOT_RUNNING', `Replay ${id} is ${status}: only a running replay can be cancelled`);
    }
    const run = this.runs.get(id.toLowerCase());
    if (run !== undefined) {
      run.controller.abort(CANCELLED);
      await settledWithin(run.done, CANCEL_WAIT_MS);
    }
    return this.view(id);
  }

  /** Graceful shutdown: stops this process's replays after their batch in hand, recording why, and refuses new ones. */
  async close(): Promise<void> {
    this.closing = true;
    const runs = [...this.runs.values()];
    for (const { controller } of runs) controller.abort(SHUTDOWN);
    await Promise.all(runs.map(({ done }) => done));
  }

  /** Never throws: however it ends is recorded (or, if the database is gone too, shows as a stale heartbeat). */
  private async run(id: string, request: ReplayRequest, selection: ReplaySelection, controller: AbortController): Promise<void> {
    const { signal } = controller;
    const heed = ({ cancelRequested }: { cancelRequested: boolean }): void => {
      if (cancelRequested) controller.abort(CANCELLED);
    };
    const heartbeat = setInterval(() => {
      touchReplay(this.db, id)
        .then(heed)
        .catch((error: unknown) => this.logger.warn({ err: error, replay: id }, 'replay heartbeat failed'));
    }, HEARTBEAT_MS);
    heartbeat.unref();
    let status: Exclude<ReplayStatus, 'running'> = 'failed';
    let progress: ReplayProgress | null = null;
    const errors: string[] = [];
    try {
      const target = await this.targets.open(request);
      try {
        const outcome = await replay({
          store: this.store,
          selection,
          target,
          ...(request.rate === undefined ? {} : { rate: request.rate }),
          signal,
          onProgress: async (news) => {
            progress = news;
            heed(await touchReplay(this.db, id, news));
          },
        });
        ({ status, progress } = outcome);
        if (status === 'cancelled' && signal.reason === SHUTDOWN) errors.push('Stopped after the batch in hand because the API process running it shut down');
      } finally {
        await target.close();
      }
    } catch (error) {
      this.logger.error({ err: error, replay: id }, 'replay failed');
      status = 'failed';
      errors.push(describeError(error));
    } finally {
      clearInterval(heartbeat);
    }
    await finishReplay(this.db, id, status, progress, errors).catch((error: unknown) => this.logger.error({ err: error, replay: id, status }, 'replay outcome not recorded'));
  }
}

async function settledWithin(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
