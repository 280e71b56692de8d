// X-Chorus-Min-Position: answer only once the read model has applied the client's own write, and everything before it.
import type { Context } from 'koa';
import type { Kysely } from 'kysely';
import type { Schema } from '../../projections/schema.js';
import type { Projection } from '../../projections/projection.js';
import { ValidationError } from '../../domain/kernel/errors.js';
import { waitForPosition, type PositionWait } from '../../projections/projection-status.js';
import type { HttpDependencies } from './dependencies.js';
import { HttpProblem } from './problem.js';

export const MIN_POSITION_HEADER = 'X-Chorus-Min-Position';

/** Re-checks of a server database with no news from this process: projectors elsewhere, and replicas, announce nothing here. */
const SERVER_RECHECK = { firstMs: 5, maxMs: 100 } as const;

export async function awaitMinPosition(ctx: Context, deps: HttpDependencies, projection: Projection, readDb: Kysely<Schema>): Promise<void> {
  const position = ctx.get(MIN_POSITION_HEADER);
  if (position === '') return;
  if (!deps.store.isPosition(position)) {
    throw new ValidationError('REQUEST.INVALID_POSITION', `${MIN_POSITION_HEADER} is not a position this API issued`, [
      { path: `headers.${MIN_POSITION_HEADER}`, message: 'Invalid position' },
    ]);
  }
  const disconnect = watchDisconnect(ctx);
  const outcome = await waitForPosition(readDb, deps.store, deps.appliedPosition, projection, position, {
    timeoutMs: deps.config.minPositionTimeoutMs,
    signal: disconnect.signal,
    progress: deps.progress,
    recheck: recheckOf(deps),
  }).finally(disconnect.dispose);
  switch (outcome) {
    case 'reached':
      return;
    case 'aborted':
      // Nobody reads this answer; the status keeps the request out of the error log and marks it in the metrics.
      throw new HttpProblem(499, 'REQUEST.CLIENT_CLOSED', 'The client closed the connection while waiting for the read model');
    case 'not-stored':
      throw new ValidationError('REQUEST.UNKNOWN_POSITION', `${MIN_POSITION_HEADER} lies past every event stored: it is not a position this API issued`, [
        { path: `headers.${MIN_POSITION_HEADER}`, message: 'Past the newest event stored' },
      ]);
    case 'too-many-waits':
      throw new HttpProblem(503, 'READ_MODEL.TOO_MANY_WAITS', 'Too many reads are waiting for the read models already; retry shortly', {
        'Retry-After': '1',
      });
    case 'timed-out':
      throw new HttpProblem(503, 'READ_MODEL.NOT_CAUGHT_UP', `The ${projection.name} read model has not reached position ${position} yet`, {
        'Retry-After': '1',
      });
  }
}

/**
 * Embedded PGlite lives in this process alone, so its projectors' batches are all announced here; polling it
 * would only queue behind them on its one connection. A slow look now and then still covers what is not announced.
 */
function recheckOf(deps: HttpDependencies): PositionWait['recheck'] {
  if (deps.config.databaseUrl !== undefined) return SERVER_RECHECK;
  return { firstMs: deps.config.pollIntervalMs, maxMs: deps.config.pollIntervalMs };
}

/**
 * Aborts when the client goes away before the response is finished. The response's 'close' says so on every
 * Node version; the request's 'close' no longer does (since Node 16 it fires once the body has been read).
 */
function watchDisconnect(ctx: Context): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const { res } = ctx;
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort();
  };
  if (res.destroyed) onClose();
  else res.once('close', onClose);
  return { signal: controller.signal, dispose: () => res.off('close', onClose) };
}
