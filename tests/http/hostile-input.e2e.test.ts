// Hostile input at the HTTP layer: every request gets its exact status and problem code, never a 500, and no slow
// or malformed client keeps a connection. A real server on an ephemeral port; fetch, or a raw TCP socket where
// fetch would refuse to send the request.
import test, { type ExecutionContext } from 'ava';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { startAll, type RunningChorus } from '../../api/main.js';
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from '../../api/http/request.js';
import { loadConfig } from '../../infrastructure/config.js';
import { bearerFor, TEST_CONFIG } from '../support/http-specification.js';

type Reply = { status: number; headers: Headers; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any shape
type Expected = readonly [status: number, code: string];

const start = (env: Record<string, string> = {}): Promise<RunningChorus> =>
  startAll(loadConfig({ ...TEST_CONFIG, ...env }), pino({ level: 'silent' }));

let chorus: RunningChorus;
/** Credentials for the routes that need them: agents change status, viewers read, operators run the ops routes. */
let agent: Record<string, string>;
let viewer: Record<string, string>;
let operator: Record<string, string>;
test.before(async () => {
  chorus = await start();
  [agent, viewer, operator] = await Promise.all([bearerFor(chorus, ['agent']), bearerFor(chorus, ['viewer']), bearerFor(chorus, ['operator'])]);
});
test.after.always(async () => {
  await chorus?.stop();
});

async function call(method: string, path: string, options: { raw?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<Reply> {
  const response = await fetch(`${chorus.url}${path}`, { method, headers: options.headers, body: options.raw });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, headers: response.headers, body: type.includes('json') && text !== '' ? JSON.parse(text) : text };
}

const JSON_TYPE = { 'content-type': 'application/json' };
const post = (path: string, raw: string | Uint8Array, headers: Record<string, string> = JSON_TYPE) => call('POST', path, { raw, headers });
const submit = (raw: string | Uint8Array, headers?: Record<string, string>) => post('/v1/feedback', raw, headers);
const changeStatus = (id: string, raw: string) => post(`/v1/feedback/${id}/status`, raw, { ...JSON_TYPE, ...agent });
const read = (path: string, headers: Record<string, string> = {}) => call('GET', path, { headers: { ...viewer, ...headers } });

async function submitted(t: ExecutionContext): Promise<string> {
  const created = await submit('{"text":"a target for status changes"}');
  t.is(created.status, 201);
  return created.body.id as string;
}

/** A problem document with this status and code; anything else fails with `label`. */
function isProblem(t: ExecutionContext, reply: Reply, [status, code]: Expected, label: string): void {
  t.is(reply.status, status, label);
  t.is(reply.headers.get('content-type'), 'application/problem+json', label);
  t.like(reply.body, { status, code }, label);
}

const nested = (depth: number, inner = '0'): string => '['.repeat(depth) + inner + ']'.repeat(depth);
const cursor = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const SOME_ID = '01a2041a-9df6-7589-a81b-b54b1095756f';

test('no input produces a 500: each gets its exact status and problem code', async (t) => {
  const id = await submitted(t);
  const invalid: Expected = [400, 'REQUEST.INVALID'];
  // Each body, sent to submit and to change status.
  const bodies: [raw: string, submit: Expected | 201, changeStatus: Expected][] = [
    ['null', invalid, invalid],
    ['[]', invalid, invalid],
    ['"text"', invalid, invalid],
    ['42', invalid, invalid],
    ['{"text":null}', invalid, invalid],
    ['{"text":"\\u0000"}', [400, 'HTTP.UNSUPPORTED_CHARACTER'], [400, 'HTTP.UNSUPPORTED_CHARACTER']],
    ['{"text":"ok","rating":1e400}', invalid, invalid],
    ['{"__proto__":{"text":"x"}}', invalid, invalid],
    [`{"text":"${'é'.repeat(5000)}"}`, 201, invalid],
    ['{"text":"a","rating":2.5}', invalid, invalid],
    ['\u0000', [400, 'HTTP.MALFORMED_JSON'], [400, 'HTTP.MALFORMED_JSON']],
  ];
  for (const [raw, onSubmit, onChangeStatus] of bodies) {
    const label = raw.slice(0, 30);
    const submittedReply = await submit(raw);
    if (onSubmit === 201) t.is(submittedReply.status, 201, label);
    else isProblem(t, submittedReply, onSubmit, `submit ${label}`);
    isProblem(t, await changeStatus(id, raw), onChangeStatus, `change status ${label}`);
  }
  const queries: [query: string, Expected][] = [
    ['status=bad', invalid],
    ['rating=abc', invalid],
    ['rating=9', invalid],
    ['limit=-1', invalid],
    ['cursor=%00', [400, 'HTTP.UNSUPPORTED_CHARACTER']],
    ['cursor=%C3%28', [400, 'QUERY.INVALID_CURSOR']],
    ['status=open&status=closed', invalid],
    ['x=1', invalid],
  ];
  for (const [query, expected] of queries) isProblem(t, await read(`/v1/feedback?${query}`), expected, query);
  isProblem(t, await read('/v1/feedback/%E0%A4%A'), [404, 'FEEDBACK.NOT_FOUND'], 'undecodable path');
  // U+0000 in a query or a path parameter would reach PostgreSQL as text, which cannot hold it (22021).
  isProblem(t, await call('GET', '/v1/ops/dead-letters?consumer=%00', { headers: operator }), [400, 'HTTP.UNSUPPORTED_CHARACTER'], 'NUL in a query filter');
  isProblem(t, await call('GET', '/v1/ops/dead-letters?consumer=a%00b&status=open', { headers: operator }), [400, 'HTTP.UNSUPPORTED_CHARACTER'], 'NUL inside a query value');
  isProblem(t, await call('POST', '/v1/ops/dead-letters/1%00/retry', { headers: operator }), [400, 'HTTP.UNSUPPORTED_CHARACTER'], 'NUL in a path parameter');
});

test('a lone UTF-16 surrogate, in a value or a key, is refused with 400 HTTP.INVALID_UNICODE', async (t) => {
  const id = await submitted(t);
  const cases: [path: string, raw: string, field: string][] = [
    ['/v1/feedback', '{"text":"\\ud800"}', 'body.text'],
    ['/v1/feedback', '{"text":"low \\udfff first"}', 'body.text'],
    ['/v1/feedback', '{"text":"reversed \\udc00\\ud800 pair"}', 'body.text'],
    ['/v1/feedback', '{"text":"ok","source":"\\udbff"}', 'body.source'],
    ['/v1/feedback', '{"text":"ok","\\ud800":1}', 'body'],
    ['/v1/feedback', '{"text":"ok","customerId":{"\\udc00x":["\\ud800"]}}', 'body.customerId'],
    [`/v1/feedback/${id}/status`, '{"status":"resolved","note":"\\ud83d"}', 'body.note'],
  ];
  for (const [path, raw, field] of cases) {
    const reply = await post(path, raw, path === '/v1/feedback' ? JSON_TYPE : { ...JSON_TYPE, ...agent });
    isProblem(t, reply, [400, 'HTTP.INVALID_UNICODE'], raw);
    t.is(reply.body.errors[0].path, field, raw);
  }
  // A pair is text: an emoji goes through, and comes back as it was sent.
  const emoji = await submit('{"text":"fine \\ud83d\\ude00"}');
  t.is(emoji.status, 201);
  const readBack = await read(`/v1/feedback/${emoji.body.id}`, { 'X-Chorus-Min-Position': emoji.body.position });
  t.is(readBack.body.text, 'fine 😀');
});

test('U+0000, in a value or a key, is refused with 400 HTTP.UNSUPPORTED_CHARACTER', async (t) => {
  for (const [raw, field] of [
    ['{"text":"nul \\u0000 inside"}', 'body.text'],
    ['{"text":"ok","\\u0000":1}', 'body'],
    ['{"text":"ok","source":["\\u0000"]}', 'body.source.0'],
  ] as const) {
    const reply = await submit(raw);
    isProblem(t, reply, [400, 'HTTP.UNSUPPORTED_CHARACTER'], raw);
    t.is(reply.body.errors[0].path, field, raw);
  }
  // An escaped backslash followed by "u0000" is six ordinary characters.
  t.is((await submit('{"text":"not nul: \\\\u0000"}')).status, 201);
});

test('bytes that are not UTF-8 are refused with 400 HTTP.INVALID_UTF8, not replaced with U+FFFD', async (t) => {
  const body = (...bytes: number[]) => Buffer.concat([Buffer.from('{"text":"'), Buffer.from(bytes), Buffer.from('"}')]);
  for (const [label, raw] of [
    ['a byte no UTF-8 uses', body(0xff)],
    ['an overlong slash', body(0xc0, 0xaf)],
    ['a surrogate encoded as UTF-8', body(0xed, 0xa0, 0x80)],
    ['a truncated sequence', body(0x61, 0xe2, 0x82)],
    ['Latin-1 é', body(0xe9)],
  ] as const) {
    isProblem(t, await submit(raw), [400, 'HTTP.INVALID_UTF8'], label);
  }
  const valid = await submit(body(0xc3, 0xa9));
  t.is(valid.status, 201);
  const readBack = await read(`/v1/feedback/${valid.body.id}`, { 'X-Chorus-Min-Position': valid.body.position });
  t.is(readBack.body.text, 'é');
});

test('a forged list cursor is refused with 400 QUERY.INVALID_CURSOR', async (t) => {
  const forged: [label: string, cursor: string][] = [
    ['an id of 36 dashes', cursor(['2024-01-01T00:00:00.000Z', '-'.repeat(36)])],
    ['an id in upper case', cursor(['2024-01-01T00:00:00.000Z', SOME_ID.toUpperCase()])],
    ['an id that is a number', cursor(['2024-01-01T00:00:00.000Z', 42])],
    ['year -271821', cursor(['-271821-04-20T00:00:00.000Z', SOME_ID])],
    ['year 300000', cursor(['+300000-01-01T00:00:00.000Z', SOME_ID])],
    ['year 275760, the last a Date holds', cursor(['+275760-09-13T00:00:00.000Z', SOME_ID])],
    ['year 10000', cursor(['+010000-01-01T00:00:00.000Z', SOME_ID])],
    ['year 0', cursor(['0000-01-01T00:00:00.000Z', SOME_ID])],
    ['a date that does not exist', cursor(['2023-02-29T00:00:00.000Z', SOME_ID])],
    ['a date without a time', cursor(['2024-01-01', SOME_ID])],
    ['a number for a date', cursor([1, SOME_ID])],
    ['a third element', cursor(['2024-01-01T00:00:00.000Z', SOME_ID, 'more'])],
    ['an object', cursor({ submittedAt: '2024-01-01T00:00:00.000Z', id: SOME_ID })],
    ['garbage', 'bogus'],
    ['base64 of garbage', Buffer.from('\u0000\ud800{').toString('base64url')],
  ];
  for (const [label, value] of forged) {
    isProblem(t, await read(`/v1/feedback?cursor=${encodeURIComponent(value)}`), [400, 'QUERY.INVALID_CURSOR'], label);
  }
  // The first and last years a cursor may carry are read like any other.
  for (const at of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
    t.is((await read(`/v1/feedback?cursor=${cursor([at, SOME_ID])}`)).status, 200, at);
  }
});

test('a body over the limit is refused with 413 HTTP.BODY_TOO_LARGE, however it is nested', async (t) => {
  const megabyte = 1024 * 1024;
  // Just under 1 MiB, the limit before this one.
  const deep = nested(megabyte / 2 - 1);
  t.is(Buffer.byteLength(deep), megabyte - 1);
  isProblem(t, await submit(deep), [413, 'HTTP.BODY_TOO_LARGE'], '1 MB of nested arrays');
  const text = (bytes: number) => `{"text":"${'x'.repeat(bytes - '{"text":""}'.length)}"}`;
  isProblem(t, await submit(text(MAX_BODY_BYTES + 1)), [413, 'HTTP.BODY_TOO_LARGE'], 'one byte over');
  isProblem(t, await submit(text(MAX_BODY_BYTES)), [400, 'REQUEST.INVALID'], 'at the limit: read, then too long a text');
});

test('nesting deeper than 32 is refused with 400 HTTP.JSON_TOO_DEEP before parsing', async (t) => {
  const deep = nested(30_000);
  t.true(Buffer.byteLength(deep) > 59_000 && Buffer.byteLength(deep) < MAX_BODY_BYTES);
  isProblem(t, await submit(deep), [400, 'HTTP.JSON_TOO_DEEP'], '60 KB of nested arrays');
  isProblem(t, await submit('{"a":'.repeat(10_000)), [400, 'HTTP.JSON_TOO_DEEP'], 'nested objects, never closed');
  isProblem(t, await submit(`{"text":"x","rating":${nested(MAX_JSON_DEPTH)}}`), [400, 'HTTP.JSON_TOO_DEEP'], 'one level too deep');
  isProblem(t, await submit(`{"text":"x","rating":${nested(MAX_JSON_DEPTH - 1)}}`), [400, 'REQUEST.INVALID'], 'deep enough');
  // Brackets inside strings, escaped quotes among them, are text.
  const text = `"${'[{'.repeat(100)}\\"${'['.repeat(100)}"`;
  t.is((await submit(`{"text":${text}}`)).status, 201);
});

test('a charset other than UTF-8 is refused with 415 HTTP.UNSUPPORTED_CHARSET', async (t) => {
  for (const charset of ['latin1', 'iso-8859-1', 'utf-16', 'utf-88']) {
    isProblem(t, await submit('{"text":"hi"}', { 'content-type': `application/json; charset=${charset}` }), [415, 'HTTP.UNSUPPORTED_CHARSET'], charset);
  }
  for (const charset of ['utf-8', 'UTF-8', 'utf8', '"Utf-8"']) {
    t.is((await submit('{"text":"hi"}', { 'content-type': `application/json; charset=${charset}` })).status, 201, charset);
  }
});

test('a Content-Encoding other than identity is refused with 415 HTTP.UNSUPPORTED_ENCODING', async (t) => {
  const gzipped = await submit(gzipSync('{"text":"compressed"}'), { ...JSON_TYPE, 'content-encoding': 'gzip' });
  isProblem(t, gzipped, [415, 'HTTP.UNSUPPORTED_ENCODING'], 'gzip');
  t.is(gzipped.headers.get('accept-encoding'), 'identity');
  const twice = await submit('{"text":"hi"}', { ...JSON_TYPE, 'content-encoding': 'identity, br' });
  isProblem(t, twice, [415, 'HTTP.UNSUPPORTED_ENCODING'], 'identity, br');
  t.is((await submit('{"text":"plain"}', { ...JSON_TYPE, 'content-encoding': 'Identity' })).status, 201);
});

type RawReply = { status: number; headers: Record<string, string>; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any shape

/**
 * Writes `request` on a new connection and resolves once the server has closed it. With `keepSending`, the client
 * adds a byte every 100 ms, before and after the answer, as one holding the connection open would: only the server
 * can end the exchange.
 */
function rawExchange(url: string, request: string, { keepSending = false } = {}): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port), allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(request);
      if (keepSending) timer = setInterval(() => socket.write('x'), 100);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      if (!keepSending) socket.end();
    });
    socket.on('error', () => undefined); // a write after the server has gone fails; 'close' follows
    socket.on('close', () => {
      clearInterval(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
      if (Number.isNaN(status)) return reject(new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status, headers, body: body === '' ? null : JSON.parse(body) });
    });
  });
}

function isClosingProblem(t: ExecutionContext, reply: RawReply, [status, code]: Expected): void {
  t.is(reply.status, status);
  t.is(reply.headers['content-type'], 'application/problem+json');
  t.is(reply.headers.connection, 'close');
  t.like(reply.body, { status, code, type: `urn:chorus:problem:${code}` });
}

// Serial, so ava runs it before the rest: starting a second system keeps the CPU busy, and requests of other tests
// waiting on it could meet the HTTP client's own timeouts.
test.serial('a request that trickles in is answered 408 problem+json and closed, though the client keeps sending', async (t) => {
  t.timeout(60_000);
  const slow = await start({ CHORUS_HTTP_REQUEST_TIMEOUT_MS: '1000', CHORUS_HTTP_HEADERS_TIMEOUT_MS: '1000' });
  try {
    const body = 'POST /v1/feedback HTTP/1.1\r\nHost: chorus\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"text":"';
    isClosingProblem(t, await rawExchange(slow.url, body, { keepSending: true }), [408, 'HTTP.REQUEST_TIMEOUT']);
    const headers = 'GET /health/live HTTP/1.1\r\nHost: chorus\r\nX-Slow: ';
    isClosingProblem(t, await rawExchange(slow.url, headers, { keepSending: true }), [408, 'HTTP.REQUEST_TIMEOUT']);
  } finally {
    await slow.stop();
  }
});

test('headers over the limit are answered 431 problem+json and the connection closed', async (t) => {
  t.timeout(30_000);
  const request = `GET /health/live HTTP/1.1\r\nHost: chorus\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
  isClosingProblem(t, await rawExchange(chorus.url, request), [431, 'HTTP.HEADERS_TOO_LARGE']);
});

test('a malformed request line is answered 400 problem+json and the connection closed', async (t) => {
  t.timeout(30_000);
  for (const request of ['NOT AN HTTP REQUEST\r\n\r\n', 'GET /health/live HTTP/1.1 extra\r\nHost: chorus\r\n\r\n', 'GET /he alth HTTP/1.1\r\n\r\n']) {
    isClosingProblem(t, await rawExchange(chorus.url, request), [400, 'HTTP.MALFORMED_REQUEST']);
  }
});
