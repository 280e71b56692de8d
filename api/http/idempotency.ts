// Idempotency-Key on a POST: the first response (2xx) is kept for a day and given again to every retry with
// the same key and the same request. The key is claimed before the handler runs, so concurrent retries
// cannot both execute; a failure releases it, so a retry executes again. The claim is a lease: if its process
// dies mid-request, a retry after the lease runs the request again, minting the same ids (seeded by the key),
// so a request that had already committed finds its own events and answers as it did instead of appending twice.
import { createHash, randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { pauseUnlessAborted } from '../../application/kernel/retry.js';
import type { Ids } from '../../application/ports/ids.js';
import { ValidationError } from '../../domain/kernel/errors.js';
import { seededIds } from '../../infrastructure/clock-and-ids.js';
import type { Schema } from '../../projections/schema.js';
import { HttpProblem } from './problem.js';
import { routePattern } from './request.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const KEY = /^[\x21-\x7e]{1,255}$/;
const KEPT_HEADERS = ['Location', 'ETag', 'X-Chorus-Position'] as const;
/** Keys are kept this long, then swept. */
const RETENTION = sql`interval '1 day'`;
const SWEEP_BATCH = 10_000;

type StoredResponse = { headers: Record<string, string>; body: unknown };

export type IdempotencyOptions = Readonly<{ db: Kysely<Schema>; leaseMs: number }>;

/**
 * Runs `handle` once per key; a retry with the same key and request gets the stored response instead.
 * `handle` gets the ids its commands must mint: seeded by the key when there is one.
 */
export async function idempotently(
  { db, leaseMs }: IdempotencyOptions,
  ctx: Context,
  request: unknown,
  handle: (ids: Ids | undefined) => Promise<void>,
): Promise<void> {
  const key = ctx.get(IDEMPOTENCY_HEADER);
  if (key === '') return handle(undefined);
  if (!KEY.test(key)) {
    throw new ValidationError('REQUEST.INVALID_IDEMPOTENCY_KEY', `${IDEMPOTENCY_HEADER} is 1 to 255 visible ASCII characters`, [
      { path: `headers.${IDEMPOTENCY_HEADER}`, message: 'Invalid key' },
    ]);
  }
  // The route pattern and its parameters, not the path: /v1/feedback and /v1/feedback/ are one request.
  const route = routePattern(ctx) ?? ctx.path;
  // A signed-in caller's requests are theirs alone: another caller's same request under the key is another request.
  const caller = (ctx.state.principal as { sub?: string } | undefined)?.sub;
  const parts = [ctx.method, route, ctx.params ?? {}, request ?? null, ...(caller === undefined ? [] : [caller])];
  const fingerprint = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  const claimId = randomUUID();
  const lease = sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`;
  const expired = sql<boolean>`(idempotency_keys.created_at < now() - ${RETENTION})`;
  // Free (never used, or older than a day), or the same request whose claimant's lease ran out: claim it.
  const claimed = await db
    .insertInto('idempotency_keys')
    .values({ key, fingerprint, status: null, response: null, claim_id: claimId, lease_until: lease })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({
          fingerprint,
          status: null,
          response: null,
          claim_id: claimId,
          lease_until: lease,
          // A takeover keeps the first claim's time: the ids it mints must be the ones the first run minted.
          created_at: sql<Date>`case when ${expired} then now() else idempotency_keys.created_at end`,
        })
        .where((eb) =>
          eb.or([
            expired,
            eb.and([eb('idempotency_keys.status', 'is', null), eb('idempotency_keys.lease_until', '<', sql<Date>`now()`), eb('idempotency_keys.fingerprint', '=', fingerprint)]),
          ]),
        ),
    )
    .returning('created_at')
    .executeTakeFirst();
  if (claimed === undefined) return replay(db, ctx, key, fingerprint);
  const release = () => db.deleteFrom('idempotency_keys').where('key', '=', key).where('claim_id', '=', claimId).execute();
  try {
    await handle(seededIds(`${key}:${fingerprint}`, claimed.created_at));
  } catch (error) {
    await release();
    throw error;
  }
  if (ctx.status >= 300) {
    await release();
    return;
  }
  const headers = Object.fromEntries(KEPT_HEADERS.flatMap((name) => (ctx.response.get(name) === '' ? [] : [[name, ctx.response.get(name)]])));
  const response: StoredResponse = { headers, body: ctx.body };
  await db
    .updateTable('idempotency_keys')
    .set({ status: ctx.status, response: JSON.stringify(response), claim_id: null, lease_until: null })
    .where('key', '=', key)
    .where('claim_id', '=', claimId)
    .execute();
}

async function replay(db: Kysely<Schema>, ctx: Context, key: string, fingerprint: string): Promise<void> {
  const stored = await db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).executeTakeFirst();
  if (stored === undefined) throw new HttpProblem(409, 'IDEMPOTENCY.IN_PROGRESS', 'A request with this key was just released: send it again', { 'Retry-After': '1' });
  if (stored.fingerprint !== fingerprint) {
    throw new HttpProblem(422, 'IDEMPOTENCY.KEY_REUSED', `${IDEMPOTENCY_HEADER} was used for a different request`);
  }
  if (stored.status === null) {
    const seconds = Math.max(1, Math.ceil(((stored.lease_until?.getTime() ?? 0) - Date.now()) / 1000));
    throw new HttpProblem(409, 'IDEMPOTENCY.IN_PROGRESS', 'The first request with this key is still running', { 'Retry-After': String(Math.min(seconds, 60)) });
  }
  const response = stored.response as StoredResponse;
  ctx.status = stored.status;
  ctx.set(response.headers);
  ctx.set('Idempotent-Replayed', 'true');
  ctx.body = response.body;
}

/** Deletes keys older than a day, a batch at a time so no statement holds many locks; returns how many went. */
export async function sweepIdempotencyKeys(db: Kysely<Schema>): Promise<number> {
  let deleted = 0;
  for (;;) {
    const result = await db
      .deleteFrom('idempotency_keys')
      .where('key', 'in', (eb) => eb.selectFrom('idempotency_keys').select('key').where('created_at', '<', sql<Date>`now() - ${RETENTION}`).limit(SWEEP_BATCH))
      .executeTakeFirst();
    const count = Number(result.numDeletedRows);
    deleted += count;
    if (count < SWEEP_BATCH) return deleted;
  }
}

const SWEEP_INTERVAL_MS = 10 * 60_000;

/** Sweeps expired keys now and every ten minutes until the signal aborts; a failed sweep waits for the next. */
export async function sweepIdempotencyKeysPeriodically(db: Kysely<Schema>, logger: Logger, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const deleted = await sweepIdempotencyKeys(db);
      if (deleted > 0) logger.info({ deleted }, 'expired idempotency keys swept');
    } catch (error) {
      if (!signal.aborted) logger.warn({ err: error }, 'idempotency key sweep failed; trying again later');
    }
    await pauseUnlessAborted(SWEEP_INTERVAL_MS, signal);
  }
}
