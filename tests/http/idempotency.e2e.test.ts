// Idempotency-Key across crashes: a claim is a lease, and a request run again after its process died mints the
// ids its first run minted, so one that had committed answers as it did instead of appending a second time.
import test from 'ava';
import { pino } from 'pino';
import { sql } from 'kysely';
import { startAll, type RunningChorus } from '../../api/main.js';
import { sweepIdempotencyKeys } from '../../api/http/idempotency.js';
import { loadConfig } from '../../infrastructure/config.js';
import { collect } from '../support/events.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';

let chorus: RunningChorus;
/** Status changes are an agent's to make; submitting needs no credentials. */
let agent: Record<string, string>;

test.before(async () => {
  const config = loadConfig({ ...TEST_CONFIG, CHORUS_IDEMPOTENCY_LEASE_MS: '60000' });
  chorus = await startAll(config, pino({ level: 'silent' }));
  agent = await bearerFor(chorus, ['agent']);
});
test.after.always(() => chorus?.stop());

type Reply = { status: number; headers: Headers; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any shape

async function post(path: string, json: unknown, key: string, credentials: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${chorus.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Idempotency-Key': key, ...credentials },
    body: JSON.stringify(json),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const db = () => chorus.system.database.db;
const typesOf = async (id: string) => (await collect(chorus.system.store.readStream(`feedback-${id}`))).map((event) => event.type);

/** Puts a finished key back where a process that died after its append (before storing the response) left it. */
async function asIfTheProcessDied(key: string, lease: 'expired' | 'running', claimedAt?: Date): Promise<void> {
  await db()
    .updateTable('idempotency_keys')
    .set({
      status: null,
      response: null,
      claim_id: '00000000-0000-7000-8000-000000000000',
      lease_until: lease === 'expired' ? sql<Date>`now() - interval '1 second'` : sql<Date>`now() + interval '1 minute'`,
      ...(claimedAt === undefined ? {} : { created_at: claimedAt }),
    })
    .where('key', '=', key)
    .execute();
}

test('a retry after the lease of a request that had committed answers with its result and appends nothing', async (t) => {
  const key = `crash-${Math.random()}`;
  const json = { text: 'Submitted just before the crash', rating: 4 };
  const first = await post('/v1/feedback', json, key);
  t.is(first.status, 201);
  await asIfTheProcessDied(key, 'running');
  const early = await post('/v1/feedback', json, key);
  t.is(early.status, 409, 'inside the lease the first run may still be going');
  t.is(early.body.code, 'IDEMPOTENCY.IN_PROGRESS');
  t.regex(early.headers.get('retry-after') ?? '', /^\d+$/);

  await asIfTheProcessDied(key, 'expired');
  const retry = await post('/v1/feedback', json, key);
  t.is(retry.status, 201);
  t.deepEqual(retry.body, first.body, 'the same feedback, revision and position');
  t.is(retry.headers.get('location'), first.headers.get('location'));
  t.is((await typesOf(first.body.id)).filter((type) => type === 'FeedbackSubmitted').length, 1);
  const again = await post('/v1/feedback', json, key);
  t.is(again.headers.get('idempotent-replayed'), 'true', 'the retry stored its response: later retries replay it');
  t.deepEqual(again.body, first.body);
});

test('a retry after the lease of a request that never committed runs it', async (t) => {
  const key = `lost-${Math.random()}`;
  const json = { text: 'The first run died before its append' };
  const first = await post('/v1/feedback', json, key);
  // A claim from another moment mints other ids: none of them is in the store, as if the first run never appended.
  await asIfTheProcessDied(key, 'expired', new Date(Date.now() - 3_600_000));
  const retry = await post('/v1/feedback', json, key);
  t.is(retry.status, 201);
  t.not(retry.body.id, first.body.id);
  t.deepEqual((await typesOf(retry.body.id)).slice(0, 1), ['FeedbackSubmitted']);
});

test('a status change run again after its lease answers as it did, even when the feedback has moved on since', async (t) => {
  const created = await post('/v1/feedback', { text: 'To resolve' }, `create-${Math.random()}`);
  const key = `status-${Math.random()}`;
  const first = await post(`/v1/feedback/${created.body.id}/status`, { status: 'resolved', note: 'done' }, key, agent);
  t.is(first.status, 200);
  const closed = await post(`/v1/feedback/${created.body.id}/status`, { status: 'closed' }, `close-${Math.random()}`, agent);
  t.is(closed.status, 200);
  await asIfTheProcessDied(key, 'expired');
  // Deciding again would refuse (closed feedback cannot be resolved): the retry recognises its own change instead.
  const retry = await post(`/v1/feedback/${created.body.id}/status`, { status: 'resolved', note: 'done' }, key, agent);
  t.is(retry.status, 200);
  t.deepEqual(retry.body, first.body);
  t.is((await typesOf(created.body.id)).filter((type) => type === 'FeedbackStatusChanged').length, 2);
});

test('the fingerprint does not depend on a trailing slash, and an expired lease does not free the key for another request', async (t) => {
  const key = `slash-${Math.random()}`;
  const json = { text: 'With and without a slash' };
  const first = await post('/v1/feedback', json, key);
  const slashed = await post('/v1/feedback/', json, key);
  t.is(slashed.status, 201);
  t.is(slashed.headers.get('idempotent-replayed'), 'true');
  t.deepEqual(slashed.body, first.body);
  await asIfTheProcessDied(key, 'expired');
  const other = await post('/v1/feedback', { text: 'Another request' }, key);
  t.is(other.status, 422);
  t.is(other.body.code, 'IDEMPOTENCY.KEY_REUSED');
});

test('the sweep deletes keys older than a day and keeps the rest', async (t) => {
  const old = `old-${Math.random()}`;
  const fresh = `fresh-${Math.random()}`;
  await post('/v1/feedback', { text: 'Long ago' }, old);
  await post('/v1/feedback', { text: 'Just now' }, fresh);
  await db().updateTable('idempotency_keys').set({ created_at: sql<Date>`now() - interval '25 hours'` }).where('key', '=', old).execute();
  t.true((await sweepIdempotencyKeys(db())) >= 1);
  const left = await db().selectFrom('idempotency_keys').select('key').where('key', 'in', [old, fresh]).execute();
  t.deepEqual(left.map((row) => row.key), [fresh]);
});
