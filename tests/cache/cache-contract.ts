// The contract every Cache adapter passes. Each test works under keys of its own, so the suite also holds
// on a cache that other tests (or parallel runs) write to at the same time.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import type { Cache } from '../../application/ports/cache.js';

export type CacheSubject = Readonly<{ cache: Cache; close(): Promise<void> }>;

const freshKey = (): string => `contract:${randomUUID()}`;

export function cacheContract(adapter: string, open: () => Promise<CacheSubject>): void {
  const withCache = (title: string, body: (cache: Cache, t: ExecutionContext) => Promise<void>) =>
    test(`${adapter}: ${title}`, async (t) => {
      const subject = await open();
      try {
        await body(subject.cache, t);
      } finally {
        await subject.close();
      }
    });

  withCache('a key never set is a miss', async (cache, t) => {
    t.is(await cache.get(freshKey()), null);
  });

  withCache('a value set is read back', async (cache, t) => {
    const key = freshKey();
    await cache.set(key, '{"total":3}', 60);
    t.is(await cache.get(key), '{"total":3}');
  });

  withCache('setting a key again replaces its value', async (cache, t) => {
    const key = freshKey();
    await cache.set(key, 'first', 60);
    await cache.set(key, 'second', 60);
    t.is(await cache.get(key), 'second');
  });

  withCache('an entry expires after its TTL', async (cache, t) => {
    const key = freshKey();
    await cache.set(key, 'short-lived', 1);
    t.is(await cache.get(key), 'short-lived', 'present before it expires');
    let expired = false;
    for (let attempt = 0; attempt < 100 && !expired; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expired = (await cache.get(key)) === null;
    }
    t.true(expired, 'gone after its TTL');
  });

  withCache('keys are independent', async (cache, t) => {
    const [a, b, c] = [freshKey(), freshKey(), freshKey()];
    await cache.set(a, 'a1', 60);
    await cache.set(b, 'b1', 60);
    await cache.set(a, 'a2', 60);
    t.is(await cache.get(a), 'a2');
    t.is(await cache.get(b), 'b1', 'unchanged by writes to another key');
    t.is(await cache.get(c), null);
  });

  withCache('a TTL that is not a positive number is refused', async (cache, t) => {
    const key = freshKey();
    await t.throwsAsync(cache.set(key, 'forever?', 0), { instanceOf: RangeError });
    await t.throwsAsync(cache.set(key, 'forever?', Number.NaN), { instanceOf: RangeError });
    t.is(await cache.get(key), null);
  });
}
