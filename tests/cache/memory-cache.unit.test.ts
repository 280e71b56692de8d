import test from 'ava';
import { MemoryCache } from '../../infrastructure/cache/memory/memory-cache.js';
import { cacheContract } from './cache-contract.js';

cacheContract('memory', async () => {
  const cache = new MemoryCache({ maxEntries: 100 });
  return { cache, close: () => cache.close() };
});

test('memory: beyond maxEntries the least recently used entry goes first', async (t) => {
  const cache = new MemoryCache({ maxEntries: 2 });
  await cache.set('a', '1', 60);
  await cache.set('b', '2', 60);
  await cache.get('a');
  await cache.set('c', '3', 60);
  t.is(await cache.get('b'), null);
  t.is(await cache.get('a'), '1');
  t.is(await cache.get('c'), '3');
});
