// Defences every route shares: the Host allow-list, JSON-only writes, no caching, CORS by allow-list, security
// headers, closed signup.
import test from 'ava';
import { request } from 'node:http';
import { HttpSpecification } from '../support/http-specification.js';

const ORIGIN = 'https://app.example.com';
const http = HttpSpecification({ config: { CHORUS_ALLOWED_HOSTS: 'localhost,127.0.0.1,*.chorus.test', CHORUS_CORS_ORIGINS: ORIGIN, CHORUS_SIGNUP: 'closed' } });
const { call, when } = http;

/** A request with a Host header of the test's choosing (fetch sets its own). */
function withHost(path: string, host: string): Promise<{ status: number; body: { code?: string } }> {
  const url = new URL(http.chorus().url);
  return new Promise((resolve, reject) => {
    const sent = request({ host: url.hostname, port: url.port, path, headers: { Host: host } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text === '' ? {} : JSON.parse(text) }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

test('a Host outside CHORUS_ALLOWED_HOSTS is refused with 400 HTTP.HOST_NOT_ALLOWED; health probes answer whatever the Host', async (t) => {
  for (const host of ['localhost', 'localhost:3000', '127.0.0.1:8080', 'api.chorus.test']) t.is((await withHost('/openapi.json', host)).status, 200, host);
  for (const host of ['evil.example', 'chorus.test', 'localhost.evil.example', 'evilchorus.test']) {
    const reply = await withHost('/openapi.json', host);
    t.is(reply.status, 400, host);
    t.is(reply.body.code, 'HTTP.HOST_NOT_ALLOWED', host);
  }
  t.is((await withHost('/health/live', 'pod-10-0-0-7')).status, 200);
});

test('a write whose body is not JSON is refused before any route runs, body or not, form types above all', async (t) => {
  const path = '/v1/ops/dead-letters/1/discard';
  for (const [type, raw] of [
    ['application/x-www-form-urlencoded', 'a=1'],
    ['application/x-www-form-urlencoded', ''],
    ['multipart/form-data; boundary=x', '--x--'],
    ['text/plain', '{"status":"closed"}'],
  ] as const) {
    await when('POST', path, { raw, headers: { 'content-type': type }, as: ['operator'] }).then(t, { status: 415, code: 'HTTP.UNSUPPORTED_MEDIA_TYPE' });
  }
  // No body and no content type is fine for a route that takes no body: here, an unknown letter.
  await when('POST', path, { as: ['operator'] }).then(t, { status: 404, code: 'DLQ.NOT_FOUND' });
  await when('POST', '/v1/feedback', { raw: 'text=hello', headers: { 'content-type': 'application/x-www-form-urlencoded' } }).then(t, { status: 415 });
});

test('answers are never cached, carry security headers, and name the client only to allowed origins', async (t) => {
  const reply = await when('GET', '/v1/feedback', { as: ['viewer'], headers: { Origin: ORIGIN } }).then(t, {
    status: 200,
    headers: {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'access-control-allow-origin': ORIGIN,
      'access-control-expose-headers': /ETag.*X-Chorus-Position/,
    },
  });
  t.regex(reply.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  await when('GET', '/v1/feedback', { as: ['viewer'], headers: { Origin: 'https://evil.example' } }).then(t, { status: 200, headers: { 'access-control-allow-origin': null } });
  await when('GET', '/v1/nothing-here').then(t, { status: 404, headers: { 'cache-control': 'no-store' } });
});

test('a CORS preflight from an allowed origin may send credentials headers; from another origin it gets no grant', async (t) => {
  const preflight = (origin: string) =>
    call('OPTIONS', '/v1/feedback', { headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' } });
  const allowed = await preflight(ORIGIN);
  t.is(allowed.status, 204);
  t.is(allowed.headers.get('access-control-allow-origin'), ORIGIN);
  t.regex(allowed.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  // Every method a route answers: votes are retracted, reactions set and profiles changed from browsers too.
  t.is(allowed.headers.get('access-control-allow-methods'), 'GET,POST,PUT,PATCH,DELETE');
  t.is((await preflight('https://evil.example')).headers.get('access-control-allow-origin'), null);
});

test('with CHORUS_SIGNUP=closed, registering is refused with 403 AUTH.SIGNUP_CLOSED', async (t) => {
  await when('POST', '/v1/auth/register', { json: { email: 'someone@example.com', password: 'long enough password', displayName: 'S' } }).then(t, {
    status: 403,
    code: 'AUTH.SIGNUP_CLOSED',
  });
});
