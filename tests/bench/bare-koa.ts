// The reference the HTTP figures are read against: Koa and @koa/router alone, in this process as Chorus is on the
// PostgreSQL profile, under the same load. It keeps a created body in a Map and answers GET from it, so its
// figures are what this machine's Node, kernel and load generator allow on that day, with no Chorus in between.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';

export type BareServer = Readonly<{ url: string; stop(): Promise<void> }>;

export async function startBareKoa(): Promise<BareServer> {
  const stored = new Map<string, string>();
  const router = new Router();
  router.post('/v1/feedback', async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    const id = randomUUID();
    stored.set(id, JSON.stringify({ id, ...body }));
    ctx.status = 201;
    ctx.body = { id };
  });
  router.get('/v1/feedback/:id', (ctx) => {
    const json = stored.get(ctx.params.id!);
    if (json === undefined) return; // 404
    ctx.type = 'application/json';
    ctx.body = json;
  });
  const app = new Koa();
  app.use(router.routes());
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
