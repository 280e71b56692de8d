// The ops console's static files over HTTP: content types, the page's Content-Security-Policy, cache headers and
// ETags, its own health without sign-in, 404 for unknown files and no way out of the folder (raw paths with `..`,
// encoded or not, are sent as they are: fetch would normalise them away).
import test from 'ava';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { CONSOLE_CSP, consoleDirectory, loadConsoleAssets } from '../../api/http/console.js';
import { HttpSpecification } from '../support/http-specification.js';

const { chorus, call } = HttpSpecification();

/** GET with the path exactly as written (no URL normalisation). */
function rawGet(url: string, path: string): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: hostname, port, path, method: 'GET' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type'] ?? ''), body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

test('the page, its script and its style are served with their types, a strict CSP and cache headers', async (t) => {
  for (const [path, type] of [
    ['/console', 'text/html; charset=utf-8'],
    ['/console/', 'text/html; charset=utf-8'],
    ['/console/index.html', 'text/html; charset=utf-8'],
    ['/console/console.js', 'text/javascript; charset=utf-8'],
    ['/console/console.css', 'text/css; charset=utf-8'],
  ] as const) {
    const reply = await call('GET', path);
    t.is(reply.status, 200, path);
    t.is(reply.headers.get('content-type'), type, path);
    t.is(reply.headers.get('content-security-policy'), CONSOLE_CSP, path);
    t.is(reply.headers.get('x-content-type-options'), 'nosniff', path);
    t.regex(reply.headers.get('etag') ?? '', /^"[\w-]+"$/, path);
    t.is(reply.headers.get('cache-control'), type.startsWith('text/html') ? 'no-cache' : 'public, max-age=3600', path);
  }
  t.regex(CONSOLE_CSP, /script-src 'self'/);
  t.notRegex(CONSOLE_CSP, /unsafe-inline|unsafe-eval|\*/);
  const page = await call('GET', '/console');
  t.regex(page.body as string, /<script src="\/console\/console.js" defer><\/script>/);
  t.notRegex(page.body as string, /<script>|<style|\sstyle="|\son\w+="/i, 'no inline script, style or handler: the CSP would block it');
});

test('HEAD answers the headers without a body', async (t) => {
  const reply = await call('HEAD', '/console');
  t.is(reply.status, 200);
  t.is(reply.headers.get('content-type'), 'text/html; charset=utf-8');
  t.is(reply.body, '');
});

test('an unchanged file answers 304 to its ETag', async (t) => {
  const first = await call('GET', '/console/console.js');
  const again = await call('GET', '/console/console.js', { headers: { 'If-None-Match': first.headers.get('etag')! } });
  t.is(again.status, 304);
  t.is(again.body, '');
});

test('/console/health.json is the page own health, without sign-in', async (t) => {
  const reply = await call('GET', '/console/health.json');
  t.is(reply.status, 200);
  t.is(reply.headers.get('content-type'), 'application/json; charset=utf-8');
  t.is(reply.headers.get('cache-control'), 'no-store');
  t.is(reply.body.status, 'ok');
  t.regex(reply.body.version, /^\d+\.\d+\.\d+/);
  t.deepEqual(reply.body.assets, ['console.css', 'console.js', 'index.html']);
});

test('unknown files are 404 problems, other methods 405', async (t) => {
  for (const path of ['/console/nope.js', '/console/console.js/x', '/console/.hidden', '/console/index.html.bak']) {
    const reply = await call('GET', path);
    t.is(reply.status, 404, path);
    t.is(reply.headers.get('content-type'), 'application/problem+json', path);
    t.is(reply.body.code, 'CONSOLE.NOT_FOUND', path);
  }
  const posted = await call('POST', '/console', { json: {} });
  t.is(posted.status, 405);
  t.is(posted.headers.get('allow'), 'GET, HEAD');
});

test('no path leaves the console folder, raw or encoded', async (t) => {
  const url = chorus().url;
  for (const path of [
    '/console/../package.json',
    '/console/..%2Fpackage.json',
    '/console/%2e%2e/package.json',
    '/console/%2e%2e%2fpackage.json',
    '/console/..%5cpackage.json',
    '/console/....//package.json',
    '/console/%252e%252e%252fpackage.json',
    '/console//etc/passwd',
    '/console/..%2F..%2F..%2Fetc%2Fpasswd',
    '/console/%00',
  ]) {
    const reply = await rawGet(url, path);
    t.true(reply.status === 404 || reply.status === 400, `${path}: ${reply.status}`);
    t.notRegex(reply.body, /"dependencies"|root:/, path);
    t.is(reply.type, 'application/problem+json', path);
  }
});

test('the files are found from the source tree and from the build output, where tsc copies no HTML', (t) => {
  const source = consoleDirectory();
  t.truthy(source);
  // From dist/api/http/console.js the package's api/console is three levels up.
  const fromDist = new URL('../../../api/console/', new URL('../../dist/api/http/console.js', import.meta.url));
  t.is(consoleDirectory([new URL('../../dist/api/console/', import.meta.url), fromDist]), fileURLToPath(fromDist));
  t.is(consoleDirectory([new URL('./no-such-folder/', import.meta.url)]), null);
  t.is(loadConsoleAssets(null).size, 0);
});
