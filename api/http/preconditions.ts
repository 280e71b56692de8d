import type { Context } from 'koa';
import { ValidationError } from '../../domain/kernel/errors.js';
import { HttpProblem } from './problem.js';

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

/**
 * The revision If-Match names, required: for commands that must never land on a state their sender did not see
 * (428 when it is missing or `*`, 400 when it is not an ETag this API issued).
 */
export function requiredIfMatchRevision(ctx: Context, what: string): number {
  const revision = ifMatchRevision(ctx);
  if (revision !== undefined) return revision;
  throw new HttpProblem(428, 'REQUEST.IF_MATCH_REQUIRED', `Send If-Match with the ETag of the revision you edited, such as "3": ${what}`);
}

/**
 * Whether If-None-Match names the current ETag, compared weakly as RFC 9110 (13.1.2) asks: any tag of a list,
 * `W/"3"` as `"3"`, and `*` for any. Not Koa's ctx.fresh: it answers 200 to every request that also carries
 * `Cache-Control: no-cache`, which fetch adds to each request with If-None-Match.
 */
export function noneMatchHits(header: string, current: string): boolean {
  if (header.trim() === '*') return true;
  const opaque = (tag: string): string => tag.replace(/^W\//, '');
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => opaque(tag) === opaque(current));
}
