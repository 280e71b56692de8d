import test from 'ava';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { RedisCache } from '../../infrastructure/cache/redis/redis-cache.js';
import { serviceUrl } from '../support/services.js';
import { cacheContract } from './cache-contract.js';

// A prefix per run keeps parallel runs on one Redis apart.
const keyPrefix = `chorus-test:${randomBytes(6).toString('hex')}:`;

test('Redis: a cache whose Redis is unreachable misses, ignores writes, reports, and never throws', async (t) => {
  const errors: Error[] = [];
  const cache = new RedisCache('redis://:s3cret@127.0.0.1:1', { keyPrefix, onError: (error) => errors.push(error) });
  try {
    t.is(await cache.get('anything'), null);
    await t.notThrowsAsync(cache.set('anything', 'value', 60));
    t.is(await cache.get('anything'), null);
    for (let attempt = 0; attempt < 100 && errors.length === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
    t.true(errors.length >= 1, 'the connection failure reaches onError');
    t.false(errors.some((error) => error.message.includes('s3cret')));
  } finally {
    await cache.close();
  }
});

test('Redis: a Redis that stops answering commands does not hold the caller', async (t) => {
  // Speaks just enough RESP to pass ioredis's ready check (INFO), then never answers again.
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (data) => {
      if (data.toString().toUpperCase().includes('INFO')) socket.write('$0\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const errors: Error[] = [];
  const cache = new RedisCache(`redis://127.0.0.1:${port}`, { keyPrefix, onError: (error) => errors.push(error) });
  try {
    const timedOut = () => errors.some((error) => /timed out/i.test(error.message));
    // Until the client is ready a get misses without asking; once it asks, the command times out.
    for (let attempt = 0; attempt < 50 && !timedOut(); attempt++) {
      t.is(await cache.get('stalled'), null);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await t.notThrowsAsync(cache.set('stalled', 'value', 60));
    t.true(
      timedOut(),
      `the timeout reaches onError: ${errors.map((error) => error.message).join('; ')}`,
    );
  } finally {
    await cache.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

const redisUrl = serviceUrl('REDIS_URL', 'Redis cache contract');

if (redisUrl !== undefined) {
  cacheContract('Redis', async () => {
    const cache = new RedisCache(redisUrl, { keyPrefix, onError: (error) => console.warn(`redis cache: ${error.message}`) });
    await untilReady(cache);
    return { cache, close: () => cache.close() };
  });

  test('Redis: keys carry the prefix, with a TTL', async (t) => {
    const cache = new RedisCache(redisUrl, { keyPrefix });
    const raw = new Redis(redisUrl);
    try {
      await untilReady(cache);
      await cache.set('prefixed', 'value', 60);
      t.is(await raw.get(`${keyPrefix}prefixed`), 'value');
      const ttl = await raw.ttl(`${keyPrefix}prefixed`);
      t.true(ttl > 0 && ttl <= 60, `ttl ${ttl}`);
    } finally {
      await raw.del(`${keyPrefix}prefixed`);
      raw.disconnect();
      await cache.close();
    }
  });
}

/** The cache answers misses until connected; tests that expect hits wait for the connection first. */
async function untilReady(cache: RedisCache): Promise<void> {
  const probe = `ready:${randomBytes(4).toString('hex')}`;
  for (let attempt = 0; attempt < 200; attempt++) {
    await cache.set(probe, '1', 5);
    if ((await cache.get(probe)) === '1') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('Redis never became ready');
}
