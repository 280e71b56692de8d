// The view cache: a view is kept until its projection announces a batch, never kept across one that lands while
// it loads, bounded in memory and age, and missing views are not kept.
import test from 'ava';
import { ProjectionProgress } from '../../projections/projection-progress.js';
import { ViewCache } from '../../infrastructure/cache/view-cache.js';

const roomy = { maxBytes: 1 << 20, maxAgeMs: 60_000 };

function loader(values: Map<string, { revision: number }>) {
  let loads = 0;
  return {
    load: (key: string) => async () => {
      loads++;
      const value = values.get(key);
      return value === undefined ? undefined : { ...value };
    },
    get loads() {
      return loads;
    },
  };
}

/** The view read and whether it was kept, in one comparable value. */
async function readOf(cache: ViewCache, key: string, load: () => Promise<{ revision: number } | undefined>) {
  const { found, hit } = await cache.read('feedback', key, load);
  if (found !== undefined && found.json !== JSON.stringify(found.view)) throw new Error('the JSON is not the view');
  return { view: found?.view, hit };
}

test('a view is kept, with its JSON, until its own projection announces a batch', async (t) => {
  const progress = new ProjectionProgress(10);
  const cache = new ViewCache(progress, roomy);
  const rows = new Map([['a', { revision: 0 }]]);
  const source = loader(rows);
  t.deepEqual(await readOf(cache, 'a', source.load('a')), { view: { revision: 0 }, hit: false });
  rows.set('a', { revision: 1 });
  t.deepEqual(await readOf(cache, 'a', source.load('a')), { view: { revision: 0 }, hit: true });
  progress.announce('polls');
  t.true((await readOf(cache, 'a', source.load('a'))).hit, "another projection's batch leaves it");
  progress.announce('feedback');
  t.deepEqual(await readOf(cache, 'a', source.load('a')), { view: { revision: 1 }, hit: false });
  t.is(source.loads, 2);
});

test('a batch announced while a view loads leaves that view stale on arrival', async (t) => {
  const progress = new ProjectionProgress(10);
  const cache = new ViewCache(progress, roomy);
  let loads = 0;
  const load = async () => {
    loads++;
    if (loads === 1) progress.announce('feedback'); // committed while the first read was on its way
    return { revision: loads };
  };
  t.false((await readOf(cache, 'a', load)).hit);
  t.deepEqual(await readOf(cache, 'a', load), { view: { revision: 2 }, hit: false }, 'loaded again');
  t.deepEqual(await readOf(cache, 'a', load), { view: { revision: 2 }, hit: true });
});

test('missing views are not kept, and a view that disappears is dropped', async (t) => {
  const progress = new ProjectionProgress(10);
  const cache = new ViewCache(progress, roomy);
  const rows = new Map<string, { revision: number }>();
  const source = loader(rows);
  t.deepEqual(await readOf(cache, 'x', source.load('x')), { view: undefined, hit: false });
  rows.set('x', { revision: 0 });
  t.deepEqual(await readOf(cache, 'x', source.load('x')), { view: { revision: 0 }, hit: false }, 'the miss was not kept');
  rows.delete('x');
  progress.announce('feedback');
  t.deepEqual(await readOf(cache, 'x', source.load('x')), { view: undefined, hit: false });
  t.deepEqual(await readOf(cache, 'x', source.load('x')), { view: undefined, hit: false });
});

test('views are kept within their memory, and no longer than maxAgeMs without news', async (t) => {
  const progress = new ProjectionProgress(10);
  // Room for two small entries and not three: each takes its JSON twice (as text and as the view), its key, at
  // two bytes a character, plus its overhead.
  const entry = 2 * (2 * '{"revision":0}'.length + 'feedback\u0000a'.length) + 256;
  const cache = new ViewCache(progress, { maxBytes: 2 * entry + 10, maxAgeMs: 50 });
  const rows = new Map(['a', 'b', 'c'].map((key) => [key, { revision: 0 }]));
  const source = loader(rows);
  for (const key of ['a', 'b', 'c']) await readOf(cache, key, source.load(key));
  t.false((await readOf(cache, 'a', source.load('a'))).hit, 'the least recently read went first');
  t.true((await readOf(cache, 'c', source.load('c'))).hit);
  await new Promise((resolve) => setTimeout(resolve, 80));
  t.false((await readOf(cache, 'c', source.load('c'))).hit, 'too old');
});

test('maxBytes 0 keeps nothing', async (t) => {
  const cache = new ViewCache(new ProjectionProgress(10), { maxBytes: 0, maxAgeMs: 60_000 });
  const source = loader(new Map([['a', { revision: 0 }]]));
  t.deepEqual(await readOf(cache, 'a', source.load('a')), { view: { revision: 0 }, hit: false });
  t.false((await readOf(cache, 'a', source.load('a'))).hit);
  t.is(source.loads, 2);
});
