// Identity over HTTP: registration, login, sessions, API keys, roles, access rules, the audit trail, and the
// attacks the issue names. A real server (embedded profile) on an ephemeral port, a real client.
import test, { type ExecutionContext } from 'ava';
import { SignJWT, UnsecuredJWT } from 'jose';
import { collect } from '../support/events.js';
import { HttpSpecification, TEST_JWT_SECRET } from '../support/http-specification.js';

const METRICS_TOKEN = 'prometheus-scrape-token-42';
const http = HttpSpecification({ config: { CHORUS_METRICS_TOKEN: METRICS_TOKEN, CHORUS_MIN_POSITION_TIMEOUT_MS: '5000', CHORUS_AUDIT_REFUSALS_PER_SOURCE_PER_MIN: '100000' } });
const { call, when } = http;

const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
let emails = 0;
const freshEmail = () => `user${Date.now()}.${++emails}@Example.com`;
const PASSWORD = 'correct horse battery';

async function registered(email = freshEmail()): Promise<{ id: string; email: string }> {
  const reply = await call('POST', '/v1/auth/register', { json: { email, password: PASSWORD, displayName: 'Ada' } });
  if (reply.status !== 201) throw new Error(`register: ${reply.status} ${JSON.stringify(reply.body)}`);
  return { id: reply.body.id, email };
}

async function loggedIn(email: string): Promise<{ accessToken: string; refreshToken: string }> {
  const reply = await call('POST', '/v1/auth/login', { json: { email, password: PASSWORD } });
  if (reply.status !== 200) throw new Error(`login: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** A token signed with the server's key, with claims as the test wants them. */
const signed = (claims: Record<string, unknown>, options: { iss?: string; aud?: string; exp?: number; alg?: string; key?: Uint8Array } = {}) =>
  new SignJWT({ roles: ['admin'], ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setSubject('mallory')
    .setIssuer(options.iss ?? 'chorus')
    .setAudience(options.aud ?? 'chorus-api')
    .setIssuedAt()
    .setJti('jti-1')
    .setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(options.key ?? secret);

const audit = async (query: string) => (await call('GET', `/v1/audit?${query}`, { as: ['admin'], headers: { 'X-Chorus-Consistency': 'strong' } })).body;

/** The audit trail is written in batches and projected: wait until `found` sees what it wants. */
async function eventually<T>(t: ExecutionContext, read: () => Promise<T>, found: (value: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const value = await read();
    if (found(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.fail(`never saw ${what}`);
  return read();
}

test.serial('register answers 201 with the id; the user is a member; the same email in another case or Unicode form is taken', async (t) => {
  const email = freshEmail();
  const { id } = await registered(email);
  t.regex(id, /^[0-9a-f-]{36}$/);
  const { accessToken } = await loggedIn(email.toLowerCase());
  await when('GET', '/v1/me', { headers: bearer(accessToken) }).then(t, {
    status: 200,
    body: { id, email: email.toLowerCase(), displayName: 'Ada', roles: ['member'] },
    headers: { 'cache-control': 'no-store' },
  });
  const fullwidth = email.toUpperCase().replace('USER', 'ＵＳＥＲ'); // NFKC folds fullwidth letters
  for (const variant of [email.toUpperCase(), `  ${email}  `, fullwidth]) {
    await when('POST', '/v1/auth/register', { json: { email: variant, password: PASSWORD, displayName: 'Eve' } }).then(t, { status: 409, code: 'USER.EMAIL_TAKEN' });
  }
});

test.serial('register refuses a bad email, a short or long password, unknown fields', async (t) => {
  for (const json of [
    { email: 'not-an-email', password: PASSWORD, displayName: 'A' },
    { email: freshEmail(), password: 'short', displayName: 'A' },
    { email: freshEmail(), password: 'x'.repeat(201), displayName: 'A' },
    { email: freshEmail(), password: PASSWORD, displayName: 'A', roles: ['admin'] },
  ]) {
    await when('POST', '/v1/auth/register', { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
  }
});

test.serial('50 concurrent registrations of one email: exactly one 201, the rest 409', async (t) => {
  const email = freshEmail();
  const replies = await Promise.all(
    Array.from({ length: 50 }, (_, n) => call('POST', '/v1/auth/register', { json: { email: n % 2 === 0 ? email : email.toUpperCase(), password: PASSWORD, displayName: `n${n}` } })),
  );
  t.is(replies.filter((reply) => reply.status === 201).length, 1);
  t.is(replies.filter((reply) => reply.status === 409 && reply.body.code === 'USER.EMAIL_TAKEN').length, 49);
});

test.serial('login: wrong password and unknown email get the same 401; five failures lock the email out with 429', async (t) => {
  const { email } = await registered();
  const wrong = await when('POST', '/v1/auth/login', { json: { email, password: 'wrong password!' } }).then(t, { status: 401, code: 'AUTH.INVALID_CREDENTIALS' });
  const unknown = await when('POST', '/v1/auth/login', { json: { email: freshEmail(), password: PASSWORD } }).then(t, { status: 401, code: 'AUTH.INVALID_CREDENTIALS' });
  t.is(wrong.body.detail, unknown.body.detail);
  for (let n = 2; n <= 5; n++) await when('POST', '/v1/auth/login', { json: { email, password: `wrong ${n} password` } }).then(t, { status: 401, code: 'AUTH.INVALID_CREDENTIALS' });
  const locked = await when('POST', '/v1/auth/login', { json: { email: email.toUpperCase(), password: PASSWORD } }).then(t, { status: 429, code: 'AUTH.TOO_MANY_ATTEMPTS' });
  t.true(Number(locked.headers.get('retry-after')) > 800, 'until the 15-minute window passes');
  const lockouts = await eventually(t, () => audit('type=auth.locked_out'), (page) => page.items.length > 0, 'the lockout in the audit trail');
  t.like(lockouts.items[0], { type: 'auth.locked_out', route: '/v1/auth/login', method: 'POST', ip: '127.0.0.1', actor: { sub: 'anonymous' } });
  const failures = await eventually(t, () => audit('type=auth.login_failed&limit=10'), (page) => page.items.length >= 5, 'five failed logins');
  t.regex(failures.items[0].subject, /^email:[0-9a-f]{16}$/, 'names the account by a hash, not its email');
});

test.serial('a login returns a pair; the access token opens /v1/me; none, a wrong scheme or garbage is 401 with WWW-Authenticate', async (t) => {
  const { id, email } = await registered();
  const reply = await when('POST', '/v1/auth/login', { json: { email, password: PASSWORD } }).then(t, { status: 200, body: { tokenType: 'Bearer', expiresIn: 900 } });
  t.regex(reply.body.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  t.regex(reply.body.refreshToken, /^rt_/);
  await when('GET', '/v1/me', { headers: bearer(reply.body.accessToken) }).then(t, { status: 200, body: { id } });
  await when('GET', '/v1/me').then(t, { status: 401, code: 'AUTH.REQUIRED', headers: { 'www-authenticate': /^Bearer realm="chorus"$/ } });
  await when('GET', '/v1/me', { headers: { Authorization: 'Basic YTpi' } }).then(t, { status: 401, code: 'AUTH.UNSUPPORTED_SCHEME' });
  await when('GET', '/v1/me', { headers: bearer('not.a.token') }).then(t, { status: 401, code: 'AUTH.INVALID_TOKEN', headers: { 'www-authenticate': /error="invalid_token"/ } });
});

test.serial('attacks on the access token: alg none, another key, a tampered payload, another audience or issuer, expiry, HS512', async (t) => {
  const none = new UnsecuredJWT({ roles: ['admin'] }).setSubject('mallory').setIssuer('chorus').setAudience('chorus-api').setJti('j').setExpirationTime('10m').encode();
  const otherKey = await signed({}, { key: new TextEncoder().encode('another-secret-another-secret-another-secret') });
  const genuine = await signed({ roles: ['viewer'] });
  const [header, , signature] = genuine.split('.');
  const payload = Buffer.from(JSON.stringify({ sub: 'mallory', roles: ['admin'], iss: 'chorus', aud: 'chorus-api', jti: 'x', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
  const tampered = `${header}.${payload}.${signature}`;
  const attempts: [string, string, string][] = [
    ['alg none', none, 'AUTH.INVALID_TOKEN'],
    ['another key', otherKey, 'AUTH.INVALID_TOKEN'],
    ['tampered payload', tampered, 'AUTH.INVALID_TOKEN'],
    ['another audience', await signed({}, { aud: 'somebody-else' }), 'AUTH.INVALID_TOKEN'],
    ['another issuer', await signed({}, { iss: 'evil' }), 'AUTH.INVALID_TOKEN'],
    ['HS512 with the right key', await signed({}, { alg: 'HS512' }), 'AUTH.INVALID_TOKEN'],
    ['an unknown role', await signed({ roles: ['root'] }), 'AUTH.INVALID_TOKEN'],
    ['expired', await signed({}, { exp: Math.floor(Date.now() / 1000) - 60 }), 'AUTH.TOKEN_EXPIRED'],
  ];
  for (const [what, token, code] of attempts) {
    const reply = await call('GET', '/v1/audit', { headers: bearer(token) });
    t.is(reply.status, 401, what);
    t.is(reply.body.code, code, what);
  }
  // The control: the same construction with nothing wrong is admitted.
  t.is((await call('GET', '/v1/audit', { headers: bearer(await signed({})) })).status, 200);
  const refusals = await eventually(t, () => audit('type=auth.unauthenticated&actor=anonymous&limit=20'), (page) => page.items.length >= attempts.length, 'every refusal');
  t.like(refusals.items[0], { route: '/v1/audit', method: 'GET' });
});

test.serial('refresh rotates the pair; presenting a used refresh token revokes the whole session; logout ends it', async (t) => {
  const { email } = await registered();
  const first = await loggedIn(email);
  const second = (await when('POST', '/v1/auth/refresh', { json: { refreshToken: first.refreshToken } }).then(t, { status: 200, body: { tokenType: 'Bearer' } })).body;
  t.not(second.refreshToken, first.refreshToken);
  const third = (await when('POST', '/v1/auth/refresh', { json: { refreshToken: second.refreshToken } }).then(t, { status: 200 })).body;
  await when('POST', '/v1/auth/refresh', { json: { refreshToken: first.refreshToken } }).then(t, { status: 401, code: 'AUTH.REFRESH_REUSED' });
  await when('POST', '/v1/auth/refresh', { json: { refreshToken: third.refreshToken } }).then(t, { status: 401, code: 'AUTH.INVALID_REFRESH_TOKEN' });
  await eventually(t, () => audit('type=auth.refresh_reused'), (page) => page.items.length > 0, 'the reuse in the audit trail');
  const metrics = (await call('GET', '/metrics', { as: ['operator'] })).body as string;
  t.regex(metrics, /chorus_snapshot_loads_total\{found="no"\} [1-9]/, 'a session is loaded through its snapshot, once there is one');

  const other = await loggedIn(email);
  await when('POST', '/v1/auth/logout', { json: { refreshToken: other.refreshToken } }).then(t, { status: 204 });
  await when('POST', '/v1/auth/refresh', { json: { refreshToken: other.refreshToken } }).then(t, { status: 401, code: 'AUTH.INVALID_REFRESH_TOKEN' });
  for (const refreshToken of ['rt_garbage', `rt_${'0'.repeat(32)}_${'A'.repeat(43)}`]) {
    await when('POST', '/v1/auth/refresh', { json: { refreshToken } }).then(t, { status: 401, code: 'AUTH.INVALID_REFRESH_TOKEN' });
  }
});

test.serial('a login with an Idempotency-Key is not replayed: its tokens are never stored', async (t) => {
  const { email } = await registered();
  const headers = { 'Idempotency-Key': `login-${email}` };
  const once = await call('POST', '/v1/auth/login', { json: { email, password: PASSWORD }, headers });
  const twice = await call('POST', '/v1/auth/login', { json: { email, password: PASSWORD }, headers });
  t.is(once.status, 200);
  t.not(once.body.refreshToken, twice.body.refreshToken);
});

test.serial('role changes: admins only, audited, in force at the next refresh', async (t) => {
  const { id, email } = await registered();
  const pair = await loggedIn(email);
  await when('POST', `/v1/users/${id}/roles`, { json: { roles: ['viewer', 'agent'] }, headers: bearer(pair.accessToken) }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
  await when('POST', `/v1/users/${id}/roles`, { json: { roles: ['agent', 'viewer'] }, as: ['admin'] }).then(t, { status: 200, body: { id, roles: ['agent', 'viewer'] } });
  await when('POST', `/v1/users/${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}/roles`, { json: { roles: [] }, as: ['admin'] }).then(t, { status: 404, code: 'USER.NOT_FOUND' });
  await when('POST', `/v1/users/${id}/roles`, { json: { roles: ['god'] }, as: ['admin'] }).then(t, { status: 400, code: 'REQUEST.INVALID' });
  const refreshed = (await call('POST', '/v1/auth/refresh', { json: { refreshToken: pair.refreshToken } })).body;
  await when('GET', '/v1/me', { headers: bearer(refreshed.accessToken) }).then(t, { status: 200, body: { roles: ['agent', 'viewer'] } });
  const changes = await eventually(t, () => audit(`type=user.roles_changed`), (page) => page.items.some((item: { subject: string }) => item.subject === `user:${id}`), 'the role change');
  t.like(changes.items.find((item: { subject: string }) => item.subject === `user:${id}`), { actor: { sub: 'as:admin', roles: ['admin'] }, reason: 'roles: agent, viewer' });
});

test.serial('API keys: shown once, work in either header, hold only roles their creator holds, stop at once when revoked', async (t) => {
  const { id, email } = await registered();
  const member = bearer((await loggedIn(email)).accessToken);
  await when('POST', '/v1/api-keys', { json: { name: 'escalate', roles: ['admin'] }, headers: member }).then(t, { status: 403, code: 'AUTH.ROLE_NOT_HELD' });
  await when('POST', '/v1/api-keys', { json: { name: 'dev token user', roles: ['admin'] }, as: ['admin'] }).then(t, { status: 403, code: 'APIKEY.CREATOR_NOT_A_USER' });
  const created = (await when('POST', '/v1/api-keys', { json: { name: 'ci', roles: ['member'] }, headers: member }).then(t, { status: 201, body: { name: 'ci', roles: ['member'] } })).body;
  t.regex(created.key, /^ck_[0-9a-f]{32}_/);
  await when('GET', '/v1/me', { headers: { Authorization: `ApiKey ${created.key}` } }).then(t, { status: 200, body: { id, roles: ['member'], apiKeyId: created.id } });
  await when('GET', '/v1/me', { headers: { 'X-API-Key': created.key } }).then(t, { status: 200, body: { id, apiKeyId: created.id } });
  await when('GET', '/v1/me', { headers: { 'X-API-Key': created.key, ...member } }).then(t, { status: 401, code: 'AUTH.AMBIGUOUS_CREDENTIALS' });
  await when('GET', '/v1/me', { headers: { 'X-API-Key': `${created.key.slice(0, -1)}x` } }).then(t, { status: 401, code: 'AUTH.INVALID_API_KEY' });

  const listed = await when('GET', '/v1/api-keys', { headers: { ...member, 'X-Chorus-Min-Position': created.position } }).then(t, { status: 200 });
  t.deepEqual(listed.body.items.map((item: { id: string }) => item.id), [created.id], 'a member sees their own keys');
  t.false(JSON.stringify(listed.body).includes(created.key.slice(-43)), 'never the key');
  await when('POST', `/v1/api-keys/${created.id}/revoke`, { as: ['viewer'] }).then(t, { status: 404, code: 'APIKEY.NOT_FOUND' });
  await when('POST', `/v1/api-keys/${created.id}/revoke`, { headers: member }).then(t, { status: 200, body: { id: created.id } });
  await when('GET', '/v1/me', { headers: { 'X-API-Key': created.key } }).then(t, { status: 401, code: 'AUTH.INVALID_API_KEY' });
  const trail = await eventually(t, () => audit('limit=200'), (page) => page.items.some((item: { type: string; subject: string }) => item.type === 'apikey.revoked' && item.subject === `apikey:${created.id}`), 'the revocation');
  t.true(trail.items.some((item: { type: string; subject: string }) => item.type === 'apikey.created' && item.subject === `apikey:${created.id}`));
});

test.serial('a key loses a role its owner loses', async (t) => {
  const { id, email } = await registered();
  await call('POST', `/v1/users/${id}/roles`, { json: { roles: ['member', 'viewer'] }, as: ['admin'] });
  const pair = await loggedIn(email);
  const key = (await call('POST', '/v1/api-keys', { json: { name: 'reader', roles: ['viewer'] }, headers: bearer(pair.accessToken) })).body.key;
  await when('GET', '/v1/feedback', { headers: { 'X-API-Key': key } }).then(t, { status: 200 });
  await call('POST', `/v1/users/${id}/roles`, { json: { roles: ['member'] }, as: ['admin'] });
  await when('GET', '/v1/feedback', { headers: { 'X-API-Key': key } }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
});

test.serial('access rules: roles are permission sets, admin is admitted everywhere', async (t) => {
  const rules: [method: string, path: string, allowed: string[], refused: string[]][] = [
    ['GET', '/v1/feedback', ['viewer', 'agent', 'admin'], ['member', 'operator']],
    ['GET', '/v1/ops/projections', ['operator', 'admin'], ['viewer', 'agent', 'member']],
    ['GET', '/v1/ops/dead-letters', ['operator', 'admin'], ['viewer', 'agent', 'member']],
    ['GET', '/metrics', ['operator', 'admin'], ['viewer', 'agent', 'member']],
    ['GET', '/v1/audit', ['admin'], ['operator', 'viewer', 'agent', 'member']],
  ];
  for (const [method, path, allowed, refused] of rules) {
    for (const role of allowed) t.is((await call(method, path, { as: [role as 'admin'] })).status, 200, `${role} ${method} ${path}`);
    for (const role of refused) await when(method, path, { as: [role as 'admin'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    await when(method, path).then(t, { status: 401, code: 'AUTH.REQUIRED', headers: { 'www-authenticate': /^Bearer/ } });
  }
  await when('POST', '/v1/feedback/01a2041a-9df6-7589-a81b-b54b1095756f/status', { json: { status: 'closed' }, as: ['viewer'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
  await when('POST', '/v1/feedback', { json: { text: 'anyone may say this' } }).then(t, { status: 201 });
  t.is((await call('GET', '/metrics', { headers: bearer(METRICS_TOKEN) })).status, 200, 'Prometheus with CHORUS_METRICS_TOKEN');
  await when('GET', '/metrics', { headers: bearer(`${METRICS_TOKEN}x`) }).then(t, { status: 401 });
  const forbidden = await eventually(t, () => audit('type=auth.forbidden&limit=50'), (page) => page.items.some((item: { route: string }) => item.route === '/v1/audit'), 'a 403 of /v1/audit');
  t.like(forbidden.items.find((item: { route: string }) => item.route === '/v1/audit'), { reason: 'AUTH.FORBIDDEN', method: 'GET' });
});

test.serial('the OpenAPI document shows who may call each route', async (t) => {
  const { paths } = (await call('GET', '/openapi.json')).body;
  t.is(paths['/v1/feedback'].post['x-chorus-access'], 'anyone');
  t.is(paths['/v1/feedback'].get['x-chorus-access'], 'admin, viewer, agent');
  t.is(paths['/v1/audit'].get['x-chorus-access'], 'admin');
  t.is(paths['/v1/me'].get['x-chorus-access'], 'signed-in');
  t.truthy(paths['/v1/me'].get.responses['401']);
  t.deepEqual(paths['/v1/auth/login'].post.parameters.filter((p: { name: string }) => p.name === 'Idempotency-Key'), [], 'a login is never replayed');
});

test.serial('no password, token or key reaches an event', async (t) => {
  const { email } = await registered();
  const pair = await loggedIn(email);
  const refreshed = (await call('POST', '/v1/auth/refresh', { json: { refreshToken: pair.refreshToken } })).body;
  const key = (await call('POST', '/v1/api-keys', { json: { name: 'k', roles: ['member'] }, headers: bearer(refreshed.accessToken) })).body.key;
  await call('POST', '/v1/auth/login', { json: { email, password: 'a wrong guess here' } });
  const log = JSON.stringify(await collect(http.chorus().system.store.readAll()));
  for (const secretText of [PASSWORD, 'a wrong guess here', pair.refreshToken, refreshed.refreshToken, pair.accessToken, key]) {
    t.false(log.includes(secretText), `${secretText.slice(0, 12)}… is not in the log`);
  }
});

test.serial("the README's access table says what the route definitions say, route for route", async (t) => {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('<!-- access table'), readme.indexOf('<!-- /access table -->'));
  const documented = new Map<string, string>();
  for (const line of table.split('\n').filter((row) => row.startsWith('| `'))) {
    const [routes, who] = line.split('|').slice(1, 3).map((cell) => cell.trim());
    for (const [, method, path] of routes!.matchAll(/`(GET|POST|PUT|PATCH|DELETE) ([^`]+)`/g)) documented.set(`${method} ${path!.replace(/:(\w+)/g, '{$1}')}`, who!.replace(/ \(.*\)$/, ''));
  }
  const { paths } = (await call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { 'x-chorus-access': string }>> };
  const declared = new Map(Object.entries(paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation['x-chorus-access']] as const)));
  t.deepEqual(Object.fromEntries([...documented].sort()), Object.fromEntries([...declared].sort()));
});

test.serial('the audit query refuses what it cannot read with 400, never 500', async (t) => {
  for (const query of ['since=yesterday', 'until=2026-02-30T00:00:00Z', 'since=0000-01-01T00:00:00Z', 'type=auth.everything', 'limit=0', 'limit=501', 'cursor=garbage', 'cursor=WyIyMDI2LTEyLTAyVDEwOjAwOjAwLjAwMFoiLCJ4Il0', 'surprise=1']) {
    const reply = await call('GET', `/v1/audit?${query}`, { as: ['admin'] });
    t.is(reply.status, 400, query);
    t.regex(reply.body.code, query.startsWith('cursor=') ? /^QUERY\.INVALID_CURSOR$/ : /^REQUEST\./, query);
  }
  const since = '2026-01-01T00:00:00+01:00';
  const window = await call('GET', `/v1/audit?since=${encodeURIComponent(since)}&until=9999-12-31T23:59:59Z&limit=3`, { as: ['admin'], headers: { 'X-Chorus-Consistency': 'strong' } });
  t.is(window.status, 200);
  t.is(window.body.items.length, 3, 'earlier tests left many entries inside the window');
  t.true(window.body.items.every((item: { occurredAt: string }) => Date.parse(item.occurredAt) >= Date.parse(since)));
  t.truthy(window.body.nextCursor);
});

test.serial("an admin lists everyone's keys; a write made with a key names the key in its event; dead-letter actions are audited", async (t) => {
  const { id: adminId, email: adminEmail } = await registered();
  await call('POST', `/v1/users/${adminId}/roles`, { json: { roles: ['admin'] }, as: ['admin'] });
  const admin = bearer((await loggedIn(adminEmail)).accessToken);
  const { id: ownerId, email } = await registered();
  const member = bearer((await loggedIn(email)).accessToken);
  const created = (await call('POST', '/v1/api-keys', { json: { name: 'bot', roles: ['member'] }, headers: member })).body;
  const listed = await when('GET', '/v1/api-keys?limit=100', { headers: { ...admin, 'X-Chorus-Min-Position': created.position } }).then(t, { status: 200 });
  t.like(listed.body.items.find((item: { id: string }) => item.id === created.id), { ownerId, name: 'bot', status: 'active' });

  const submitted = await when('POST', '/v1/feedback', { json: { text: 'sent by a bot' }, headers: { 'X-API-Key': created.key } }).then(t, { status: 201 });
  const [event] = await collect(http.chorus().system.store.readStream(`feedback-${submitted.body.id}`));
  t.deepEqual(event!.metadata.actor, { sub: ownerId, roles: ['member'], apiKeyId: created.id });

  await when('POST', '/v1/ops/dead-letters/424242/retry', { as: ['operator'] }).then(t, { status: 404, code: 'DLQ.NOT_FOUND' });
  const retried = await eventually(t, () => audit('type=deadletter.retried'), (page) => page.items.some((item: { subject: string }) => item.subject === 'deadletter:424242'), 'the retry');
  t.like(retried.items.find((item: { subject: string }) => item.subject === 'deadletter:424242'), { actor: { sub: 'as:operator', roles: ['operator'] }, reason: 'refused: DLQ.NOT_FOUND' });
  await when('POST', '/v1/ops/dead-letters/424243/discard', { as: ['operator'] }).then(t, { status: 404, code: 'DLQ.NOT_FOUND' });
  const discarded = await eventually(t, () => audit('type=deadletter.discarded'), (page) => page.items.some((item: { subject: string }) => item.subject === 'deadletter:424243'), 'the discard');
  t.like(discarded.items.find((item: { subject: string }) => item.subject === 'deadletter:424243'), { reason: 'refused: DLQ.NOT_FOUND', method: 'POST' });
});
