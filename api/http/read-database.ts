// X-Chorus-Consistency: strong reads from the writer; anything else reads from a replica when one is healthy.
import type { Context } from 'koa';
import { ValidationError } from '../../domain/kernel/errors.js';
import type { HttpDependencies, ReadDatabase } from './dependencies.js';

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
