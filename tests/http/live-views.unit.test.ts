// The live-view hub: one subscription per watched key however many watch it, a frame only when the position moves,
// at most one read (so one frame per key) per interval however fast the projection commits.
import test from 'ava';
import { Gauge, Registry } from 'prom-client';
import { LiveViews, type LiveFrame } from '../../api/http/live-views.js';
import { ProjectionProgress } from '../../projections/projection-progress.js';

function hub(state: Map<string, LiveFrame>, options = { minIntervalMs: 100, recheckMs: 60_000 }) {
  const progress = new ProjectionProgress(10);
  const gauge = new Gauge({ name: 'live_subscriptions', help: 'test', registers: [new Registry()] });
  const reads: string[][] = [];
  const stopping = new AbortController();
  const views = new LiveViews(
    {
      projection: 'tally',
      read: async (keys) => {
        reads.push([...keys]);
        return new Map([...state].filter(([key]) => keys.includes(key)));
      },
    },
    progress,
    gauge,
    options,
    (error) => {
      throw error;
    },
    stopping.signal,
  );
  return { views, progress, gauge, reads, stop: async () => (stopping.abort(), await views.stopped()) };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('many watchers of one key are one subscription; each gets the current frame, then changes only', async (t) => {
  const state = new Map<string, LiveFrame>([['poll-1', { position: '10', data: { votes: 1 } }]]);
  const { views, progress, gauge, reads, stop } = hub(state);
  const seen: [string, LiveFrame][] = [];
  const first = await views.watch('poll-1', (frame) => seen.push(['first', frame]));
  const second = await views.watch('poll-1', (frame) => seen.push(['second', frame]));
  t.deepEqual(first.current(), { position: '10', data: { votes: 1 } });
  t.deepEqual(second.current(), first.current());
  t.is(views.size, 1);
  t.is((await gauge.get()).values[0]!.value, 1);
  t.is(reads.length, 1, 'the second watcher is served what the first read');

  progress.announce('tally'); // a batch that did not change this poll
  await pause(50);
  t.deepEqual(seen, []);
  state.set('poll-1', { position: '12', data: { votes: 2 } });
  progress.announce('tally');
  await pause(150);
  t.deepEqual(seen, [
    ['first', { position: '12', data: { votes: 2 } }],
    ['second', { position: '12', data: { votes: 2 } }],
  ]);

  first.unwatch();
  first.unwatch(); // twice is harmless
  t.is(views.size, 1);
  second.unwatch();
  t.is(views.size, 0);
  t.is((await gauge.get()).values[0]!.value, 0);
  await stop();
});

test('a burst of batches is coalesced: at most one read per interval, and the last state always arrives', async (t) => {
  const state = new Map<string, LiveFrame>([['poll-1', { position: '0', data: 0 }]]);
  const { views, progress, reads, stop } = hub(state, { minIntervalMs: 200, recheckMs: 60_000 });
  const frames: LiveFrame[] = [];
  const { unwatch } = await views.watch('poll-1', (frame) => frames.push(frame));
  const started = performance.now();
  for (let n = 1; n <= 100; n++) {
    state.set('poll-1', { position: String(n), data: n });
    progress.announce('tally');
    await pause(5);
  }
  const elapsed = performance.now() - started;
  await pause(450);
  const allowed = Math.ceil(elapsed / 200) + 2;
  t.true(frames.length <= allowed, `${frames.length} frames in ${Math.round(elapsed)} ms (at most ${allowed})`);
  t.true(reads.length - 1 <= allowed, `${reads.length - 1} reads`);
  t.deepEqual(frames.at(-1), { position: '100', data: 100 }, 'the latest state arrives');
  unwatch();
  await stop();
});

test('with no news from the projection, the loop still looks every recheck interval', async (t) => {
  const state = new Map<string, LiveFrame>([['poll-1', { position: '1', data: 'a' }]]);
  const { views, stop } = hub(state, { minIntervalMs: 10, recheckMs: 50 });
  const frames: LiveFrame[] = [];
  const { unwatch } = await views.watch('poll-1', (frame) => frames.push(frame));
  state.set('poll-1', { position: '2', data: 'b' });
  await pause(200);
  t.deepEqual(frames, [{ position: '2', data: 'b' }]);
  unwatch();
  await stop();
});

test('watchers that arrive together share the first read; a failed first read leaves nothing watched', async (t) => {
  const state = new Map<string, LiveFrame>([['poll-1', { position: '3', data: 'c' }]]);
  const { views, reads, stop } = hub(state);
  const [a, b] = await Promise.all([views.watch('poll-1', () => undefined), views.watch('poll-1', () => undefined)]);
  t.deepEqual(a.current(), { position: '3', data: 'c' });
  t.deepEqual(b.current(), a.current());
  t.is(reads.length, 1);
  a.unwatch();
  b.unwatch();
  await stop();

  const progress = new ProjectionProgress(10);
  const gauge = new Gauge({ name: 'live_subscriptions_failing', help: 'test', registers: [new Registry()] });
  const failing = new LiveViews({ projection: 'tally', read: () => Promise.reject(new Error('database down')) }, progress, gauge, { minIntervalMs: 10, recheckMs: 50 }, () => undefined, new AbortController().signal);
  await t.throwsAsync(failing.watch('poll-1', () => undefined), { message: 'database down' });
  t.is(failing.size, 0);
  t.is((await gauge.get()).values[0]!.value, 0);
  await failing.stopped();
});

test('close stops the loop while keys are still watched', async (t) => {
  const { views, stop } = hub(new Map());
  const { current } = await views.watch('absent', () => t.fail('nothing changes'));
  t.is(current(), null, 'a key without a view has no current frame');
  await stop();
  t.pass();
});
