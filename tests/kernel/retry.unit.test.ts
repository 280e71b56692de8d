// The one retry with backoff: what counts as an attempt, when it gives up, what it hands back.
import test from 'ava';
import { Aborted, retry, retryOrThrow } from '../../application/kernel/retry.js';

const fast = { minMs: 1, maxMs: 2 };

/** Work that fails with the given errors in turn, then succeeds; counts its calls. */
function failing(...errors: unknown[]) {
  const work = { calls: 0, run: async () => {
    work.calls++;
    if (errors.length > 0) throw errors.shift();
  } };
  return work;
}

test('given work that fails twice, when retried, then it succeeds on the third call', async (t) => {
  const work = failing(new Error('one'), new Error('two'));
  t.is(await retry(work.run, { ...fast, maxAttempts: 3 }), undefined);
  t.is(work.calls, 3);
});

test('given work that keeps failing, when retried, then it gives up after maxAttempts with the last error', async (t) => {
  const work = failing(new Error('one'), new Error('two'), new Error('three'), new Error('four'));
  const failure = await retry(work.run, { ...fast, maxAttempts: 3 });
  t.is(work.calls, 3);
  t.is(failure?.attempts, 3);
  t.is((failure?.error as Error).message, 'three');
});

test('given transient failures, when retried, then they do not count towards maxAttempts', async (t) => {
  const work = failing('busy', 'busy', 'busy', new Error('real'));
  const failures: [boolean, number][] = [];
  const failure = await retry(work.run, {
    ...fast,
    maxAttempts: 1,
    isTransient: (error) => error === 'busy',
    onFailure: (_error, transient, count) => void failures.push([transient, count]),
  });
  t.is(work.calls, 4);
  t.is(failure?.attempts, 1);
  t.deepEqual(failures, [[true, 0], [true, 0], [true, 0], [false, 1]]);
});

test('given a fatal failure, when retried, then it gives up at once', async (t) => {
  const fatal = new Error('unknown topic config');
  const work = failing(new Error('leader not available'), fatal, new Error('never reached'));
  const failure = await retry(work.run, { ...fast, maxAttempts: 10, isFatal: (error) => error === fatal });
  t.is(work.calls, 2);
  t.deepEqual(failure, { error: fatal, attempts: 2 });
});

test('given an aborted signal, when work fails, then retry throws Aborted with the failure as cause', async (t) => {
  const controller = new AbortController();
  controller.abort();
  const cause = new Error('down');
  const error = await t.throwsAsync(retry(failing(cause).run, { ...fast, maxAttempts: Number.POSITIVE_INFINITY, signal: controller.signal }), {
    instanceOf: Aborted,
  });
  t.is(error?.cause, cause);
});

test('given work with a result, when retryOrThrow succeeds, then it hands the result back', async (t) => {
  let calls = 0;
  const value = await retryOrThrow(async () => {
    if (++calls < 2) throw new Error('once');
    return 'topics ready';
  }, { ...fast, maxAttempts: 2 });
  t.is(value, 'topics ready');
});

test('given work that keeps failing, when retryOrThrow gives up, then it throws the last error', async (t) => {
  const last = new Error('two');
  await t.throwsAsync(retryOrThrow(failing(new Error('one'), last).run, { ...fast, maxAttempts: 2 }), { is: last });
});
