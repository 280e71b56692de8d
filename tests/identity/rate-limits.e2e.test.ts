// Rate limits: per user and per client address, announced on every limited answer, 429 with Retry-After past
// them, never on health probes; X-Forwarded-For only behind a trusted proxy; Redis shared by API processes, with
// an in-memory limiter taking over while Redis is unreachable.
import test from 'ava';
import { pino } from 'pino';
import { startAll, startRoles, type RunningChorus } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import { serverTestDatabase } from '../support/databases.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';
import { serviceUrl } from '../support/services.js';

const silent = pino({ level: 'silent' });
const start = (env: Record<string, string>) => startAll(loadConfig({ ...TEST_CONFIG, ...env }), silent);
const get = (chorus: RunningChorus, path: string, headers: Record<string, string> = {}) => fetch(`${chorus.url}${path}`, { headers });

test.serial('a user gets their allowance a minute, counted down in RateLimit headers, then 429 RATE_LIMITED with Retry-After', async (t) => {
  const chorus = await start({ CHORUS_RATE_LIMIT_USER_PER_MIN: '5', CHORUS_RATE_LIMIT_IP_PER_MIN: '1000', CHORUS_RATE_LIMIT_PASSWORD_PER_MIN: '2' });
  t.teardown(() => chorus.stop());
  const as = await bearerFor(chorus, ['viewer'], 'limited-user');
  for (let n = 1; n <= 5; n++) {
    const reply = await get(chorus, '/v1/me', as);
    t.is(reply.status, 200);
    t.is(reply.headers.get('ratelimit-limit'), '5');
    t.is(reply.headers.get('ratelimit-remaining'), String(5 - n));
    t.regex(reply.headers.get('ratelimit-reset') ?? '', /^\d+$/);
  }
  const refused = await get(chorus, '/v1/me', as);
  t.is(refused.status, 429);
  t.is(refused.headers.get('content-type'), 'application/problem+json');
  t.is(((await refused.json()) as { code: string }).code, 'RATE_LIMITED');
  const retryAfter = Number(refused.headers.get('retry-after'));
  t.true(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  t.is(refused.headers.get('ratelimit-remaining'), '0');
  t.is((await get(chorus, '/v1/me', await bearerFor(chorus, ['viewer'], 'another-user'))).status, 200, 'another user has an allowance of their own');
  const logins: number[] = [];
  for (let n = 0; n < 3; n++) {
    const body = JSON.stringify({ email: 'nobody@example.com', password: 'not the password' });
    logins.push((await fetch(`${chorus.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status);
  }
  t.deepEqual(logins, [401, 401, 429], 'password checks have a tighter allowance per address');
  for (let n = 0; n < 10; n++) {
    const health = await get(chorus, '/health/live', as);
    t.is(health.status, 200, 'health probes are never limited');
    t.is(health.headers.get('ratelimit-limit'), null);
  }
});

test.serial('an address gets its allowance whoever calls; X-Forwarded-For counts only behind a trusted proxy', async (t) => {
  const direct = await start({ CHORUS_RATE_LIMIT_IP_PER_MIN: '3' });
  const proxied = await start({ CHORUS_RATE_LIMIT_IP_PER_MIN: '3', CHORUS_TRUST_PROXY: '1' });
  t.teardown(async () => {
    await direct.stop();
    await proxied.stop();
  });
  const statuses = async (chorus: RunningChorus, forwardedFor: (n: number) => string) => {
    const all: number[] = [];
    for (let n = 0; n < 5; n++) all.push((await fetch(`${chorus.url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Forwarded-For': forwardedFor(n) }, body: '{"text":"hi"}' })).status);
    return all;
  };
  t.deepEqual(await statuses(direct, (n) => `203.0.113.${n}`), [201, 201, 201, 429, 429], 'a forged X-Forwarded-For buys nothing');
  t.deepEqual(await statuses(proxied, (n) => `198.51.100.7, 203.0.113.${n}`), [201, 201, 201, 201, 201], 'each client behind the proxy has its own allowance');
  t.deepEqual(await statuses(proxied, () => `203.0.113.200, 192.0.2.1`), [201, 201, 201, 429, 429], 'the address the proxy appended counts, not what the client claimed before it');
});

test.serial('while Redis is unreachable, an in-memory limiter enforces the limits', async (t) => {
  const chorus = await start({ REDIS_URL: 'redis://127.0.0.1:1', CHORUS_RATE_LIMIT_USER_PER_MIN: '3' });
  t.teardown(() => chorus.stop());
  const as = await bearerFor(chorus, ['viewer'], 'insured');
  const all: number[] = [];
  for (let n = 0; n < 4; n++) all.push((await get(chorus, '/v1/me', as)).status);
  t.deepEqual(all, [200, 200, 200, 429]);
});

const redisUrl = serviceUrl('REDIS_URL', 'rate limits shared through Redis by two API processes');
const databaseUrl = redisUrl === undefined ? undefined : serviceUrl('DATABASE_URL', 'rate limits shared through Redis by two API processes');

if (redisUrl !== undefined && databaseUrl !== undefined) {
  test.serial('two API processes share one Redis: the 101st request of a user within the minute is 429 wherever it lands', async (t) => {
    const db = await serverTestDatabase(databaseUrl);
    const env = { ...TEST_CONFIG, DATABASE_URL: db.url!, REDIS_URL: redisUrl, CHORUS_RATE_LIMIT_USER_PER_MIN: '100', LOG_LEVEL: 'silent' };
    const first = await startRoles(loadConfig(env), silent, { roles: ['api'] });
    const second = await startRoles(loadConfig(env), silent, { roles: ['api'] });
    t.teardown(async () => {
      await first.stop();
      await second.stop();
      await db.drop();
    });
    const as = await bearerFor(first, ['viewer'], `shared-${Date.now()}`);
    const statuses = await Promise.all(Array.from({ length: 100 }, (_, n) => get(n % 2 === 0 ? first : second, '/v1/me', as).then((reply) => reply.status)));
    t.deepEqual([...new Set(statuses)], [200]);
    t.is((await get(first, '/v1/me', as)).status, 429);
    t.is((await get(second, '/v1/me', as)).status, 429);
  });
}
