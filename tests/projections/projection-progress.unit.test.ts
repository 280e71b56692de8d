// The in-process progress signal: announced batches wake the waits of their projection, and only those;
// nothing announced is ever lost between a look at the database and the sleep after it; places to wait are bounded.
import test from 'ava';
import { ProjectionProgress } from '../../projections/projection-progress.js';

/** Long enough never to elapse within a test: an outcome of 'elapsed' would mean a lost wake. */
const FOREVER_MS = 60_000;

test('given a sleeping wait, when its projection announces a batch, then it wakes with progressed', async (t) => {
  const progress = new ProjectionProgress(10);
  const seen = progress.batches('feedback');
  const woken = progress.next('feedback', seen, FOREVER_MS);
  t.is(progress.sleeping, 1);
  progress.announce('feedback');
  t.is(await woken, 'progressed');
  t.is(progress.batches('feedback'), seen + 1);
  t.is(progress.sleeping, 0);
});

test('given a batch announced after the count was taken, when the wait sleeps, then it wakes at once', async (t) => {
  const progress = new ProjectionProgress(10);
  const seen = progress.batches('feedback');
  progress.announce('feedback'); // while the caller was reading the database
  t.is(await progress.next('feedback', seen, FOREVER_MS), 'progressed');
  t.is(progress.sleeping, 0);
});

test('given a sleeping wait, when another projection announces, then it sleeps on until its own does', async (t) => {
  const progress = new ProjectionProgress(10);
  let outcome: string | undefined;
  const woken = progress.next('feedback', progress.batches('feedback'), FOREVER_MS).then((value) => (outcome = value));
  progress.announce('polls');
  progress.announce('polls');
  await new Promise((resolve) => setImmediate(resolve));
  t.is(outcome, undefined);
  t.is(progress.sleeping, 1);
  progress.announce('feedback');
  t.is(await woken, 'progressed');
});

test('given a sleeping wait, when nothing is announced, then it ends as elapsed and leaves nothing behind', async (t) => {
  const progress = new ProjectionProgress(10);
  t.is(await progress.next('feedback', progress.batches('feedback'), 1), 'elapsed');
  t.is(progress.sleeping, 0);
});

test('given a sleeping wait, when its signal aborts, then it ends as aborted and leaves nothing behind', async (t) => {
  const progress = new ProjectionProgress(10);
  const controller = new AbortController();
  const woken = progress.next('feedback', progress.batches('feedback'), FOREVER_MS, controller.signal);
  controller.abort();
  t.is(await woken, 'aborted');
  t.is(progress.sleeping, 0);
  t.is(await progress.next('feedback', progress.batches('feedback'), FOREVER_MS, controller.signal), 'aborted', 'an aborted signal never sleeps');
});

test('given several sleeping waits of one projection, when it announces once, then all of them wake', async (t) => {
  const progress = new ProjectionProgress(10);
  const seen = progress.batches('feedback');
  const waits = [1, 2, 3].map(() => progress.next('feedback', seen, FOREVER_MS));
  progress.announce('feedback');
  t.deepEqual(await Promise.all(waits), ['progressed', 'progressed', 'progressed']);
  t.is(progress.sleeping, 0);
});

test('given maxWaits places, when one more wait enters, then it is refused until a place is given back', (t) => {
  const progress = new ProjectionProgress(2);
  const first = progress.enter();
  const second = progress.enter();
  t.truthy(first);
  t.truthy(second);
  t.is(progress.waiting, 2);
  t.is(progress.enter(), null);
  first!();
  first!(); // giving a place back twice frees only one
  t.is(progress.waiting, 1);
  const third = progress.enter();
  t.truthy(third);
  t.is(progress.enter(), null);
  second!();
  third!();
  t.is(progress.waiting, 0);
});

test('given maxWaits 0, when a wait enters, then it is refused', (t) => {
  const progress = new ProjectionProgress(0);
  t.is(progress.enter(), null);
  t.is(progress.waiting, 0);
});
