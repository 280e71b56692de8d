// X-Chorus-Consistency: strong reads from the writer; anything else reads from a replica when one is healthy.
import type { Context } from 'koa';
import { ValidationError } from '../../domain/kernel/errors.js';
import type { Projection } from '../../projections/projection.js';
import type { CachedView } from '../../infrastructure/cache/view-cache.js';
import type { HttpDependencies, ReadDatabase } from './dependencies.js';
import { MIN_POSITION_HEADER } from './read-your-writes.js';

export const CONSISTENCY_HEADER = 'X-Chorus-Consistency';

export function readDatabase(ctx: Context, deps: HttpDependencies): ReadDatabase {
  const consistency = ctx.get(CONSISTENCY_HEADER);
  if (consistency !== '' && consistency !== 'strong' && consistency !== 'eventual') {
    throw new ValidationError('REQUEST.INVALID_CONSISTENCY', `${CONSISTENCY_HEADER} is strong or eventual`, [
      { path: `headers.${CONSISTENCY_HEADER}`, message: 'Expected strong or eventual' },
    ]);
  }
  const reader: ReadDatabase = consistency === 'strong' ? { name: 'writer', role: 'writer', db: deps.db } : deps.chooseReader();
  ctx.set('X-Chorus-Read-From', reader.role);
  return reader;
}

/**
 * The view of `key` in `projection`'s read model. An eventual read from the writer may be answered from the view
 * cache (X-Chorus-Cache: hit or miss). A strong read, a read with X-Chorus-Min-Position (whose batch may have
 * committed elsewhere with its news still on the way) and a read from a replica (which may be behind the news)
 * load afresh.
 */
export async function readView<View extends object>(
  ctx: Context,
  deps: HttpDependencies,
  reader: ReadDatabase,
  projection: Projection,
  key: string,
  load: () => Promise<View | undefined>,
): Promise<CachedView<View> | undefined> {
  if (reader.role !== 'writer' || ctx.get(CONSISTENCY_HEADER) === 'strong' || ctx.get(MIN_POSITION_HEADER) !== '') {
    const view = await load();
    return view === undefined ? undefined : { view, json: JSON.stringify(view) };
  }
  const { found, hit } = await deps.views.read(projection.name, key, load);
  ctx.set('X-Chorus-Cache', hit ? 'hit' : 'miss');
  return found;
}
