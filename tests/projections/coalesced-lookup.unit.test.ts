// Lookups asked in one turn of the event loop share one fetch; each caller still gets its own key's row.
import test from 'ava';
import { CoalescedLookup, lookupsPer, type FetchByKeys } from '../../projections/coalesced-lookup.js';

/** A fetch over `rows` that records the keys of each call. */
function recordingFetch(rows: Readonly<Record<string, string>>) {
  const calls: string[][] = [];
  const fetch: FetchByKeys<string> = async (keys) => {
    calls.push([...keys]);
    return new Map(keys.filter((key) => rows[key] !== undefined).map((key) => [key, rows[key]!]));
  };
  return { calls, fetch };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test('keys asked in one turn are fetched together, once each, and every caller gets its own row', async (t) => {
  const { calls, fetch } = recordingFetch({ a: 'row a', b: 'row b', c: 'row c' });
  const lookup = new CoalescedLookup(fetch);
  const answers = await Promise.all([lookup.load('a'), lookup.load('b'), lookup.load('a'), lookup.load('missing'), lookup.load('c')]);
  t.deepEqual(answers, ['row a', 'row b', 'row a', undefined, 'row c']);
  t.deepEqual(calls, [['a', 'b', 'missing', 'c']], 'one fetch, each key once');
});

test('keys asked in different turns are fetched apart', async (t) => {
  const { calls, fetch } = recordingFetch({ a: 'row a', b: 'row b' });
  const lookup = new CoalescedLookup(fetch);
  const first = lookup.load('a');
  await nextTurn();
  const second = lookup.load('b');
  t.deepEqual(await Promise.all([first, second]), ['row a', 'row b']);
  t.deepEqual(calls, [['a'], ['b']]);
});

test('more keys than one fetch may carry are split into several fetches', async (t) => {
  const rows = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`k${i}`, `row ${i}`]));
  const { calls, fetch } = recordingFetch(rows);
  const lookup = new CoalescedLookup(fetch, 3);
  const answers = await Promise.all(Object.keys(rows).map((key) => lookup.load(key)));
  t.deepEqual(answers, Object.values(rows));
  t.deepEqual(calls, [['k0', 'k1', 'k2'], ['k3', 'k4', 'k5'], ['k6']]);
});

test('a failed fetch fails every caller of its keys, and the next turn fetches afresh', async (t) => {
  let failing = true;
  const lookup = new CoalescedLookup<string>(async (keys) => {
    if (failing) throw new Error('connection lost');
    return new Map(keys.map((key) => [key, `row ${key}`]));
  });
  const results = await Promise.allSettled([lookup.load('a'), lookup.load('b'), lookup.load('a')]);
  t.deepEqual(
    results.map((result) => (result.status === 'rejected' ? (result.reason as Error).message : result.value)),
    ['connection lost', 'connection lost', 'connection lost'],
  );
  failing = false;
  t.is(await lookup.load('a'), 'row a');
});

test('a fetch that throws before it returns a promise fails its callers too', async (t) => {
  const lookup = new CoalescedLookup<string>((() => {
    throw new Error('bad statement');
  }) as FetchByKeys<string>);
  await t.throwsAsync(lookup.load('a'), { message: 'bad statement' });
});

test('only the fetches of one batch fail together: a split batch whose other part succeeds answers its callers', async (t) => {
  const lookup = new CoalescedLookup<string>(async (keys) => {
    if (keys.includes('bad')) throw new Error('refused');
    return new Map(keys.map((key) => [key, `row ${key}`]));
  }, 2);
  const results = await Promise.allSettled([lookup.load('a'), lookup.load('b'), lookup.load('bad')]);
  t.deepEqual(
    results.map((result) => result.status),
    ['fulfilled', 'fulfilled', 'rejected'],
  );
});

test('lookupsPer keeps one lookup per handle', (t) => {
  const of = lookupsPer((_handle: object) => recordingFetch({}).fetch);
  const writer = {};
  const replica = {};
  t.is(of(writer), of(writer));
  t.not(of(writer), of(replica));
});
