// New ids: uuid v7 from pooled random bytes, unique, stamped with the current millisecond; seeded ids repeat.
import test from 'ava';
import { newUuidV7, seededIds } from '../../infrastructure/clock-and-ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('new ids are uuid v7, unique across many pool refills, and carry the millisecond they were made in', (t) => {
  const before = Date.now();
  const ids = Array.from({ length: 20_000 }, () => newUuidV7()); // 80 refills of the 4 KiB pool
  const after = Date.now();
  t.true(ids.every((id) => UUID_V7.test(id)));
  t.is(new Set(ids).size, ids.length);
  const stamped = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  t.true(ids.every((id) => stamped(id) >= before && stamped(id) <= after));
  const randomParts = new Set(ids.map((id) => id.slice(24)));
  t.is(randomParts.size, ids.length, 'the random part differs between ids, not only the time');
});

test('seeded ids are the same on every run of the same seed, and differ between seeds', (t) => {
  const at = new Date('2026-12-02T08:00:00Z');
  const first = seededIds('key-1', at);
  const again = seededIds('key-1', at);
  const other = seededIds('key-2', at);
  const run = (ids: ReturnType<typeof seededIds>) => [ids.next(), ids.next(), ids.next()];
  const a = run(first);
  t.deepEqual(run(again), a);
  t.notDeepEqual(run(other), a);
  t.true(a.every((id) => UUID_V7.test(id)));
});
