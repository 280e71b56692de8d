import type { Context } from 'koa';
import { ValidationError } from '../../domain/kernel/errors.js';

export const etag = (revision: number): string => `"${revision}"`;

/** The revision named by If-Match (`"3"`), or undefined when there is none or it is `*`. */
export function ifMatchRevision(ctx: Context): number | undefined {
  const header = ctx.get('If-Match').trim();
  if (header === '' || header === '*') return undefined;
  const match = /^"(\d{1,15})"$/.exec(header);
  if (match === null) {
    throw new ValidationError('REQUEST.INVALID_IF_MATCH', 'If-Match must be an ETag this API issued, such as "3"', [
      { path: 'headers.If-Match', message: 'Invalid ETag' },
    ]);
  }
  return Number(match[1]);
}
