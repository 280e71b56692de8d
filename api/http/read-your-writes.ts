// X-Chorus-Min-Position: answer only once the read model has applied the client's own write.
import type { Context } from 'koa';
import type { Kysely } from 'kysely';
import type { Schema } from '../../infrastructure/db/schema.js';
import type { Projection } from '../../projections/projection.js';
import { ValidationError } from '../../domain/kernel/errors.js';
import { waitForPosition } from '../../projections/projection-status.js';
import type { HttpDependencies } from './dependencies.js';
import { HttpProblem } from './problem.js';

export const MIN_POSITION_HEADER = 'X-Chorus-Min-Position';

export async function awaitMinPosition(ctx: Context, deps: HttpDependencies, projection: Projection, readDb: Kysely<Schema>): Promise<void> {
  const position = ctx.get(MIN_POSITION_HEADER);
  if (position === '') return;
  if (!deps.store.isPosition(position)) {
    throw new ValidationError('REQUEST.INVALID_POSITION', `${MIN_POSITION_HEADER} is not a position this API issued`, [
      { path: `headers.${MIN_POSITION_HEADER}`, message: 'Invalid position' },
    ]);
  }
  const reached = await waitForPosition(readDb, deps.store, projection, position, deps.config.minPositionTimeoutMs);
  if (!reached) {
    throw new HttpProblem(503, 'READ_MODEL.NOT_CAUGHT_UP', `The ${projection.name} read model has not reached position ${position} yet`, {
      'Retry-After': '1',
    });
  }
}
