// Server-Sent Events streams over a real socket: the retry hint first, frames with id and event, heartbeats, the
// end of every stream at shutdown, and a client that leaves is forgotten.
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { EventStreams, type EventStream } from '../../api/http/server-sent-events.js';
import { openSse } from '../support/server-sent-events.js';

async function serve(streams: EventStreams, opened: EventStream[]) {
  const app = new Koa();
  app.use((ctx) => {
    opened.push(streams.start(ctx));
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

test('frames, heartbeats, and every stream ended at shutdown', async (t) => {
  const streams = new EventStreams(100);
  const opened: EventStream[] = [];
  const { server, url } = await serve(streams, opened);
  const client = await openSse(url);
  t.is(client.status, 200);
  t.regex(client.headers.get('content-type')!, /^text\/event-stream/);
  t.is(client.headers.get('cache-control'), 'no-cache, no-transform');
  t.like(await client.next(), { retry: 2000 });
  opened[0]!.send('tally', '42', { totalVotes: 3 });
  t.like(await client.next(), { event: 'tally', id: '42', data: '{"totalVotes":3}' });
  t.like(await client.next(1000), { comment: 'heartbeat' });
  t.is(streams.size, 1);

  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  streams.closeAll();
  await opened[0]!.ended;
  let frame = await client.next();
  while (frame?.comment === 'heartbeat') frame = await client.next();
  t.is(frame, null, 'the stream ends');
  await closed;
  t.is(streams.size, 0);
});

test('a client that leaves is forgotten', async (t) => {
  const streams = new EventStreams(50);
  const opened: EventStream[] = [];
  const { server, url } = await serve(streams, opened);
  const client = await openSse(url);
  await client.next();
  client.close();
  await opened[0]!.ended;
  t.is(streams.size, 0);
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
