// Answers that sum up a read model (stats, dashboards) are cached (Redis, or memory) under a key holding how many
// batches the projection has applied on the database read: a hit is never older than the data, and a new batch
// makes a new key rather than an invalidation.
import type { Context } from 'koa';
import { appliedBatches } from '../../projections/projection-status.js';
import type { Projection } from '../../projections/projection.js';
import type { HttpDependencies, ReadDatabase } from './dependencies.js';

const CACHED_FOR_SECONDS = 3600;

/** Sets the body to the cached answer for `parts` (the request's parameters), or to `compute()`'s, which it caches. */
export async function answerCached(
  ctx: Context,
  deps: HttpDependencies,
  reader: ReadDatabase,
  projection: Pick<Projection, 'name'>,
  parts: readonly string[],
  compute: () => Promise<unknown>,
): Promise<void> {
  const version = await appliedBatches(reader.db, projection.name);
  const key = ['cached', projection.name, reader.name, version, ...parts].join(':');
  const cached = await deps.cache.get(key);
  ctx.set('X-Chorus-Cache', cached === null ? 'miss' : 'hit');
  if (cached !== null) {
    ctx.type = 'application/json';
    ctx.body = cached;
    return;
  }
  const answer = await compute();
  await deps.cache.set(key, JSON.stringify(answer), CACHED_FOR_SECONDS);
  ctx.body = answer;
}
