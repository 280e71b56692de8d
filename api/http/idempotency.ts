// Idempotency-Key on a POST: the first response (2xx) is kept for a day and given again to every retry with
// the same key and the same request. The key is claimed before the handler runs, so concurrent retries
// cannot both execute; a failure releases it, so a retry executes again.
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { ValidationError } from '../../domain/kernel/errors.js';
import type { Schema } from '../../infrastructure/db/schema.js';
import { HttpProblem } from './problem.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const KEY = /^[\x21-\x7e]{1,255}$/;
const KEPT_HEADERS = ['Location', 'ETag', 'X-Chorus-Position'] as const;

type StoredResponse = { headers: Record<string, string>; body: unknown };

/** Runs `handle` once per key; a retry with the same key and request gets the stored response instead. */
export async function idempotently(db: Kysely<Schema>, ctx: Context, request: unknown, handle: () => Promise<void>): Promise<void> {
  const key = ctx.get(IDEMPOTENCY_HEADER);
  if (key === '') return handle();
  if (!KEY.test(key)) {
    throw new ValidationError('REQUEST.INVALID_IDEMPOTENCY_KEY', `${IDEMPOTENCY_HEADER} is 1 to 255 visible ASCII characters`, [
      { path: `headers.${IDEMPOTENCY_HEADER}`, message: 'Invalid key' },
    ]);
  }
  const fingerprint = createHash('sha256').update(JSON.stringify([ctx.method, ctx.path, request ?? null])).digest('hex');
  // A key older than a day is free again: take it over.
  const claimed = await db
    .insertInto('idempotency_keys')
    .values({ key, fingerprint, status: null, response: null })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({ fingerprint, status: null, response: null, created_at: new Date() })
        .where('idempotency_keys.created_at', '<', sql<Date>`now() - interval '1 day'`),
    )
    .returning('key')
    .executeTakeFirst();
  if (claimed === undefined) return replay(db, ctx, key, fingerprint);
  try {
    await handle();
  } catch (error) {
    await db.deleteFrom('idempotency_keys').where('key', '=', key).execute();
    throw error;
  }
  if (ctx.status >= 300) {
    await db.deleteFrom('idempotency_keys').where('key', '=', key).execute();
    return;
  }
  const headers = Object.fromEntries(KEPT_HEADERS.flatMap((name) => (ctx.response.get(name) === '' ? [] : [[name, ctx.response.get(name)]])));
  const response: StoredResponse = { headers, body: ctx.body };
  await db.updateTable('idempotency_keys').set({ status: ctx.status, response: JSON.stringify(response) }).where('key', '=', key).execute();
}

async function replay(db: Kysely<Schema>, ctx: Context, key: string, fingerprint: string): Promise<void> {
  const stored = await db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).executeTakeFirst();
  if (stored === undefined) throw new HttpProblem(409, 'IDEMPOTENCY.IN_PROGRESS', 'A request with this key was just released: send it again', { 'Retry-After': '1' });
  if (stored.fingerprint !== fingerprint) {
    throw new HttpProblem(422, 'IDEMPOTENCY.KEY_REUSED', `${IDEMPOTENCY_HEADER} was used for a different request`);
  }
  if (stored.status === null) {
    throw new HttpProblem(409, 'IDEMPOTENCY.IN_PROGRESS', 'The first request with this key is still running', { 'Retry-After': '1' });
  }
  const response = stored.response as StoredResponse;
  ctx.status = stored.status;
  ctx.set(response.headers);
  ctx.set('Idempotent-Replayed', 'true');
  ctx.body = response.body;
}
