// Routing by section answers every request as one router holding every route would: the same handler, status
// and Allow header, for paths in a section, across sections, in none, in other cases and with trailing slashes.
import Router from '@koa/router';
import test from 'ava';
import Koa, { type Middleware } from 'koa';
import type { AddressInfo } from 'node:net';
import { routedBySection, type Registration } from '../../api/http/sections.js';

const answering = (method: 'get' | 'post' | 'delete', path: string, name = `${method} ${path}`): Registration => ({
  path,
  register: (router) => {
    router[method](path, (ctx) => {
      ctx.body = { name, params: ctx.params };
    });
  },
});

const registrations: readonly Registration[] = [
  answering('get', '/metrics'),
  answering('get', '/health/live'),
  answering('get', '/v1/feedback'),
  answering('post', '/v1/feedback'),
  answering('get', '/v1/feedback/:id'),
  answering('delete', '/v1/feedback/:id'),
  answering('get', '/v1/polls/feed'), // before /v1/polls/:id: the first registered of two matches answers
  answering('get', '/v1/polls/:id'),
  answering('get', '/v1/:anything/echo'), // a parameter in the section: kept in every section, in its place
  answering('post', '/v1/:anything/echo'),
  answering('get', '/v1/polls/:id/echo'),
  answering('get', '/openapi.json'),
];

function oneRouter(): Middleware {
  const router = new Router();
  for (const registration of registrations) registration.register(router);
  const routes = router.routes() as unknown as Middleware;
  const allowedMethods = router.allowedMethods() as unknown as Middleware;
  return (ctx, next) => allowedMethods(ctx, () => routes(ctx, next));
}

async function serve(routing: Middleware): Promise<{ url: string; close(): Promise<void> }> {
  const app = new Koa();
  app.use(routing);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const probes: readonly (readonly [method: string, path: string])[] = [
  ['GET', '/metrics'],
  ['GET', '/metrics/'],
  ['GET', '/METRICS'],
  ['GET', '/health/live'],
  ['GET', '/health/live/'],
  ['GET', '/health/LIVE'],
  ['GET', '/health'],
  ['GET', '/v1/feedback'],
  ['GET', '/v1/feedback/'],
  ['GET', '/V1/Feedback/0192f0d2-3c6e-7a1b-8c2d-3e4f5a6b7c8d'],
  ['POST', '/v1/feedback'],
  ['PUT', '/v1/feedback'],
  ['DELETE', '/v1/feedback/abc'],
  ['PATCH', '/v1/feedback/abc'],
  ['PROPFIND', '/v1/feedback/abc'],
  ['PROPFIND', '/nowhere'],
  ['PROPFIND', '/'],
  ['OPTIONS', '/v1/feedback/abc'],
  ['GET', '/v1/feedback/abc/def'],
  ['GET', '/v1/polls/feed'],
  ['GET', '/v1/polls/feed/echo'],
  ['GET', '/v1/polls/abc'],
  ['GET', '/v1/polls/abc/echo'],
  ['GET', '/v1/leads/echo'],
  ['POST', '/v1/leads/echo'],
  ['GET', '/v1/feedback/echo'],
  ['POST', '/v1/feedback/echo'],
  ['GET', '/v1'],
  ['GET', '/v1/'],
  ['GET', '//v1/feedback'],
  ['GET', '/v1//feedback'],
  ['GET', '/v1/%66eedback'],
  ['GET', '/openapi.json'],
  ['GET', '/openapi.json/'],
  ['GET', '/'],
];

test('every probe gets the answer one router with every route gives', async (t) => {
  const single = await serve(oneRouter());
  const sectioned = await serve(routedBySection(registrations));
  try {
    for (const [method, path] of probes) {
      const [expected, actual] = await Promise.all(
        [single, sectioned].map(async (server) => {
          const response = await fetch(server.url + path, { method });
          return { status: response.status, allow: response.headers.get('Allow'), body: await response.text() };
        }),
      );
      t.deepEqual(actual, expected, `${method} ${path}`);
    }
  } finally {
    await Promise.all([single.close(), sectioned.close()]);
  }
});

test('the probes reach what they are meant to: handlers by section, 405, 501 and 404', async (t) => {
  const sectioned = await serve(routedBySection(registrations));
  try {
    const answer = async (method: string, path: string) => {
      const response = await fetch(sectioned.url + path, { method });
      return { status: response.status, allow: response.headers.get('Allow'), body: await response.text() };
    };
    t.like(JSON.parse((await answer('GET', '/V1/Feedback/abc')).body), { name: 'get /v1/feedback/:id', params: { id: 'abc' } });
    t.like(JSON.parse((await answer('GET', '/v1/polls/feed')).body), { name: 'get /v1/polls/feed' });
    t.like(JSON.parse((await answer('GET', '/v1/leads/echo')).body), { name: 'get /v1/:anything/echo', params: { anything: 'leads' } });
    t.like(JSON.parse((await answer('POST', '/v1/feedback/echo')).body), { name: 'post /v1/:anything/echo', params: { anything: 'feedback' } });
    t.like(JSON.parse((await answer('GET', '/v1/polls/abc/echo')).body), { name: 'get /v1/polls/:id/echo' });
    t.like(JSON.parse((await answer('GET', '/health/live/')).body), { name: 'get /health/live' });
    t.like(await answer('PATCH', '/v1/feedback/abc'), { status: 405, allow: 'HEAD, GET, DELETE' });
    t.like(await answer('PROPFIND', '/nowhere'), { status: 501 });
    t.like(await answer('GET', '/v1/feedback/abc/def'), { status: 404 });
  } finally {
    await sectioned.close();
  }
});
