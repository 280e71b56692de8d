// The SVG export cache: keyed by the source's SHA-256, only successful renderings kept, concurrent misses of one
// source rendered once, and a failing cache never failing an export. The renderer is the real Graphviz adapter; the
// render counter is the export's own count of calls to it.
import { createHash } from 'node:crypto';
import test from 'ava';
import type { Cache } from '../../application/ports/cache.js';
import { SvgExports, svgCacheKey } from '../../application/diagrams/svg-export.js';
import { MemoryCache } from '../../infrastructure/cache/memory/memory-cache.js';
import { graphvizRenderer } from '../../infrastructure/diagrams/graphviz-renderer.js';

const SOURCE = 'digraph {\n  api -> store [label="writes"];\n}';

function given(cache: Cache = new MemoryCache(), options: ConstructorParameters<typeof SvgExports>[2] = {}) {
  const renderer = graphvizRenderer();
  return { renderer, exports: new SvgExports(renderer, cache, options), cache };
}

/** A cache whose server is down: every call throws. */
class BrokenCache implements Cache {
  calls = 0;
  async get(): Promise<string | null> {
    this.calls++;
    throw new Error('connection refused');
  }
  async set(): Promise<void> {
    this.calls++;
    throw new Error('connection refused');
  }
  async close(): Promise<void> {}
}

test('the key is the prefixed SHA-256 of the source', (t) => {
  t.is(svgCacheKey(SOURCE), `diagram-svg:v1:${createHash('sha256').update(SOURCE).digest('hex')}`);
  t.not(svgCacheKey(SOURCE), svgCacheKey(`${SOURCE} `));
});

test('a second export of one source is a cache hit with the same SVG, and renders nothing more', async (t) => {
  const { renderer, exports, cache } = given();
  t.teardown(() => renderer.close());
  const first = await exports.svgOf(SOURCE);
  if (first.status !== 'ok') return t.fail(`rendered ${first.status}`);
  t.is(first.cache, 'miss');
  t.regex(first.value, /<svg\b/);
  t.is(await cache.get(svgCacheKey(SOURCE)), first.value);

  const second = await exports.svgOf(SOURCE);
  t.deepEqual(second, { status: 'ok', value: first.value, cache: 'hit' });
  t.is(exports.renders, 1);
});

test('concurrent exports of one source share one rendering', async (t) => {
  const { renderer, exports } = given();
  t.teardown(() => renderer.close());
  const answers = await Promise.all([1, 2, 3, 4].map(() => exports.svgOf(SOURCE)));
  t.is(exports.renders, 1);
  t.true(answers.every((answer) => answer.status === 'ok' && answer.value === (answers[0] as { value: string }).value));
  // A different source is a different rendering.
  await exports.svgOf('digraph { a -> b }');
  t.is(exports.renders, 2);
});

test('an invalid source is answered invalid and not cached: exporting it again renders again', async (t) => {
  const { renderer, exports, cache } = given();
  t.teardown(() => renderer.close());
  const source = 'digraph {\n  a -> -> b;\n}';
  const first = await exports.svgOf(source);
  t.like(first, { status: 'invalid', cache: 'miss' });
  t.is(await cache.get(svgCacheKey(source)), null);
  t.like(await exports.svgOf(source), { status: 'invalid' });
  t.is(exports.renders, 2);
});

test('a cache that throws on get and set does not fail the export, and its errors are reported', async (t) => {
  const errors: string[] = [];
  const broken = new BrokenCache();
  const { renderer, exports } = given(broken, { onCacheError: (error) => void errors.push((error as Error).message) });
  t.teardown(() => renderer.close());
  const first = await exports.svgOf(SOURCE);
  t.like(first, { status: 'ok', cache: 'miss' });
  const second = await exports.svgOf(SOURCE);
  t.like(second, { status: 'ok', cache: 'miss' });
  t.is(exports.renders, 2, 'without a cache every export renders');
  t.is(broken.calls, 4);
  t.deepEqual(errors, ['connection refused', 'connection refused', 'connection refused', 'connection refused']);
});

test('a reporter that throws does not fail the export either', async (t) => {
  const { renderer, exports } = given(new BrokenCache(), {
    onCacheError: () => {
      throw new Error('logger down');
    },
  });
  t.teardown(() => renderer.close());
  t.like(await exports.svgOf(SOURCE), { status: 'ok' });
});

test('the TTL given is the one the cache is asked to keep the SVG for', async (t) => {
  const ttls: number[] = [];
  const memory = new MemoryCache();
  const recording: Cache = { get: (key) => memory.get(key), set: async (key, value, ttl) => void ttls.push(ttl), close: () => memory.close() };
  const { renderer, exports } = given(recording, { ttlSeconds: 120 });
  t.teardown(() => renderer.close());
  await exports.svgOf(SOURCE);
  t.deepEqual(ttls, [120]);
  t.throws(() => new SvgExports(renderer, memory, { ttlSeconds: 0 }), { instanceOf: RangeError });
});
