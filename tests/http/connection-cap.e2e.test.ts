// Slow or idle clients cannot hold every socket: past CHORUS_HTTP_MAX_CONNECTIONS, new connections are closed
// at once, and a place freed is taken by the next.
import test from 'ava';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { startAll } from '../../api/main.js';
import { loadConfig } from '../../infrastructure/config.js';
import { TEST_CONFIG } from '../support/http-specification.js';

const open = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });

/** What a request on a fresh connection gets: its status line, or `closed` when the server hangs up unanswered. */
const ask = (port: number): Promise<string> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('\r\n')) {
        resolve(text.slice(0, text.indexOf('\r\n')));
        socket.destroy();
      }
    });
    socket.on('error', () => resolve('closed'));
    socket.on('close', () => resolve('closed'));
  });

test('past the connection cap a new connection is closed unanswered; when one closes, the next is served', async (t) => {
  const chorus = await startAll(loadConfig({ ...TEST_CONFIG, CHORUS_HTTP_MAX_CONNECTIONS: '3' }), pino({ level: 'silent' }));
  t.teardown(() => chorus.stop());
  const port = Number(new URL(chorus.url).port);
  const idle = await Promise.all([open(port), open(port), open(port)]);
  t.is(await ask(port), 'closed');
  idle[0]!.destroy();
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(await ask(port), 'HTTP/1.1 200 OK');
  for (const socket of idle) socket.destroy();
});
