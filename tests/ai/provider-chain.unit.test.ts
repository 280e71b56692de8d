import test from 'ava';
import { AllProvidersFailed, ProviderChain, ProviderUnavailable, type ProviderCallOutcome, type ProviderChainOptions } from '../../application/ai/provider-chain.js';
import type { AiProvider, FeedbackAnalysis } from '../../application/ports/ai-provider.js';
import type { Clock } from '../../application/ports/clock.js';

/** Time moves only when a test says so. */
class FakeClock implements Clock {
  #now: number;

  constructor(iso = '2026-11-22T10:00:00.000Z') {
    this.#now = Date.parse(iso);
  }

  now(): Date {
    return new Date(this.#now);
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}

const ANALYSIS: FeedbackAnalysis = { category: 'bug', sentiment: 'negative', confidence: 0.8 };

type Behaviour = 'answer' | 'fail' | 'hang' | 'hang-until-aborted' | 'held';

/** A provider whose next calls behave as the test sets; it records what it was asked. */
class ScriptedProvider implements AiProvider {
  calls = 0;
  signals: (AbortSignal | undefined)[] = [];
  answer: FeedbackAnalysis = ANALYSIS;
  failure = 'upstream unavailable';
  #held: (() => void)[] = [];

  constructor(
    readonly name: string,
    public behaviour: Behaviour,
  ) {}

  async analyzeFeedback(_text: string, signal?: AbortSignal): Promise<FeedbackAnalysis> {
    this.calls += 1;
    this.signals.push(signal);
    switch (this.behaviour) {
      case 'answer':
        return this.answer;
      case 'fail':
        throw new Error(this.failure);
      case 'hang':
        // Ignores its signal: the chain must stop waiting on its own.
        return new Promise<FeedbackAnalysis>(() => {});
      case 'hang-until-aborted':
        return new Promise<FeedbackAnalysis>((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        });
      case 'held':
        // Answers when the test calls release(), to keep a call in flight.
        return new Promise<FeedbackAnalysis>((resolve) => this.#held.push(() => resolve(this.answer)));
    }
  }

  release(): void {
    for (const answer of this.#held.splice(0)) answer();
  }
}

function setup(providers: readonly AiProvider[], overrides: Partial<ProviderChainOptions> = {}) {
  const clock = new FakeClock();
  const outcomes: [string, ProviderCallOutcome][] = [];
  const chain = new ProviderChain(providers, {
    clock,
    timeoutMs: 1_000,
    failureThreshold: 3,
    openMs: 30_000,
    onCall: (provider, outcome) => outcomes.push([provider, outcome]),
    ...overrides,
  });
  const healthOf = (name: string) => {
    const health = chain.health().find((entry) => entry.name === name);
    if (health === undefined) throw new Error(`no health for ${name}`);
    return health;
  };
  return { chain, clock, outcomes, healthOf };
}

test('the first provider that answers wins, and later ones are not asked', async (t) => {
  const primary = new ScriptedProvider('primary', 'answer');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, outcomes } = setup([primary, fallback]);

  t.deepEqual(await chain.analyzeFeedback('The export is broken'), { ...ANALYSIS, provider: 'primary' });
  t.is(fallback.calls, 0);
  t.deepEqual(outcomes, [['primary', 'success']]);
  t.deepEqual(chain.health(), [
    { name: 'primary', calls: 1, failures: 0, lastError: null, lastErrorAt: null, circuit: 'closed' },
    { name: 'fallback', calls: 0, failures: 0, lastError: null, lastErrorAt: null, circuit: 'closed' },
  ]);
});

test('a failing provider falls through to the next, and its failure is recorded at clock time', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  primary.failure = 'quota exceeded';
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, clock, outcomes, healthOf } = setup([primary, fallback]);
  clock.advance(5_000);

  const result = await chain.analyzeFeedback('The export is broken');

  t.is(result.provider, 'fallback');
  t.deepEqual(outcomes, [['primary', 'failure'], ['fallback', 'success']]);
  t.deepEqual(healthOf('primary'), {
    name: 'primary',
    calls: 1,
    failures: 1,
    lastError: 'quota exceeded',
    lastErrorAt: '2026-11-22T10:00:05.000Z',
    circuit: 'closed',
  });
  t.like(healthOf('fallback'), { calls: 1, failures: 0 });
});

test('a provider that ignores its timeout is abandoned as failed and the next one answers', async (t) => {
  const slow = new ScriptedProvider('slow', 'hang');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, healthOf } = setup([slow, fallback], { timeoutMs: 20 });

  t.is((await chain.analyzeFeedback('text')).provider, 'fallback');
  t.like(healthOf('slow'), { calls: 1, failures: 1, lastError: 'timed out after 20 ms' });
});

test('a provider that honours its signal sees it abort at the timeout', async (t) => {
  const slow = new ScriptedProvider('slow', 'hang-until-aborted');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, healthOf } = setup([slow, fallback], { timeoutMs: 20 });

  t.is((await chain.analyzeFeedback('text')).provider, 'fallback');
  t.true(slow.signals[0]?.aborted);
  t.like(healthOf('slow'), { failures: 1, lastError: 'timed out after 20 ms' });
});

test('a provider that throws synchronously or answers nonsense counts as failed', async (t) => {
  const throwing: AiProvider = {
    name: 'throwing',
    analyzeFeedback: () => {
      throw new Error('not configured');
    },
  };
  const nonsense = new ScriptedProvider('nonsense', 'answer');
  nonsense.answer = { category: 'billing' as FeedbackAnalysis['category'], sentiment: 'negative', confidence: 0.9 };
  const overconfident = new ScriptedProvider('overconfident', 'answer');
  overconfident.answer = { ...ANALYSIS, confidence: 7 };
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, healthOf } = setup([throwing, nonsense, overconfident, fallback]);

  t.is((await chain.analyzeFeedback('text')).provider, 'fallback');
  t.like(healthOf('throwing'), { failures: 1, lastError: 'not configured' });
  t.like(healthOf('nonsense'), { failures: 1, lastError: 'invalid analysis: unknown category "billing"' });
  t.like(healthOf('overconfident'), { failures: 1, lastError: 'invalid analysis: confidence 7 is outside 0..1' });
});

test('the answer carries only the analysis fields and the provider name', async (t) => {
  const chatty = new ScriptedProvider('chatty', 'answer');
  chatty.answer = { ...ANALYSIS, rawResponse: 'model output', apiKey: 'k' } as FeedbackAnalysis;
  const { chain } = setup([chatty]);
  t.deepEqual(await chain.analyzeFeedback('text'), { ...ANALYSIS, provider: 'chatty' });
});

test('the circuit opens after the threshold of consecutive failures and the provider is skipped while open', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, clock, outcomes, healthOf } = setup([primary, fallback], { failureThreshold: 2 });

  await chain.analyzeFeedback('one');
  t.is(healthOf('primary').circuit, 'closed', 'one failure is below the threshold');
  await chain.analyzeFeedback('two');
  t.is(healthOf('primary').circuit, 'open');

  clock.advance(29_999);
  outcomes.length = 0;
  t.is((await chain.analyzeFeedback('three')).provider, 'fallback');
  t.is(primary.calls, 2, 'not called while open');
  t.deepEqual(outcomes, [['primary', 'skipped'], ['fallback', 'success']]);
  t.like(healthOf('primary'), { calls: 2, failures: 2, circuit: 'open' });
});

test('a success resets the count of consecutive failures', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, healthOf } = setup([primary, fallback], { failureThreshold: 2 });

  await chain.analyzeFeedback('fails');
  primary.behaviour = 'answer';
  await chain.analyzeFeedback('answers');
  primary.behaviour = 'fail';
  await chain.analyzeFeedback('fails again');
  t.like(healthOf('primary'), { failures: 2, circuit: 'closed' });
});

test('after openMs the circuit half-opens, and a successful trial call closes it', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, clock, outcomes, healthOf } = setup([primary, fallback], { failureThreshold: 1, openMs: 10_000 });

  await chain.analyzeFeedback('opens');
  clock.advance(10_000);
  t.is(healthOf('primary').circuit, 'half_open');

  primary.behaviour = 'answer';
  outcomes.length = 0;
  t.is((await chain.analyzeFeedback('trial')).provider, 'primary');
  t.deepEqual(outcomes, [['primary', 'success']]);
  t.like(healthOf('primary'), { calls: 2, failures: 1, circuit: 'closed' });
});

test('a failed trial call re-opens the circuit at once, for another openMs', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, clock, healthOf } = setup([primary, fallback], { failureThreshold: 3, openMs: 10_000 });

  for (const text of ['a', 'b', 'c']) await chain.analyzeFeedback(text);
  t.is(healthOf('primary').circuit, 'open');
  clock.advance(10_000);
  await chain.analyzeFeedback('trial');
  t.is(primary.calls, 4, 'exactly one trial call');
  t.is(healthOf('primary').circuit, 'open', 'one failed trial is enough, whatever the threshold');

  clock.advance(9_999);
  await chain.analyzeFeedback('still open');
  t.is(primary.calls, 4);
  clock.advance(1);
  t.is(healthOf('primary').circuit, 'half_open');
});

test('while a half-open trial is in flight, other calls skip the provider', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, clock, outcomes, healthOf } = setup([primary, fallback], { failureThreshold: 1, openMs: 10_000 });
  await chain.analyzeFeedback('opens');
  clock.advance(10_000);

  primary.behaviour = 'held';
  const trial = chain.analyzeFeedback('trial');
  outcomes.length = 0;
  t.is((await chain.analyzeFeedback('concurrent')).provider, 'fallback');
  t.deepEqual(outcomes, [['primary', 'skipped'], ['fallback', 'success']]);
  t.is(primary.calls, 2, 'only the trial reached the provider');

  primary.release();
  t.is((await trial).provider, 'primary');
  t.is(healthOf('primary').circuit, 'closed');
});

test('when every provider fails or is open, AllProvidersFailed names each one and why', async (t) => {
  const open = new ScriptedProvider('gemini', 'fail');
  open.failure = 'HTTP 503';
  const backup = new ScriptedProvider('backup', 'answer');
  backup.failure = 'connection refused';
  const slow = new ScriptedProvider('local', 'hang');
  const { chain, healthOf } = setup([open, backup, slow], { failureThreshold: 1, timeoutMs: 20 });
  t.is((await chain.analyzeFeedback('opens gemini')).provider, 'backup');
  t.is(healthOf('gemini').circuit, 'open');
  backup.behaviour = 'fail';

  const error = await t.throwsAsync(chain.analyzeFeedback('text'), { instanceOf: AllProvidersFailed });
  t.is(error.code, 'AI.ALL_PROVIDERS_FAILED');
  t.deepEqual(
    error.attempts.map(({ provider }) => provider),
    ['gemini', 'backup', 'local'],
  );
  t.regex(error.message, /gemini: circuit open until 2026-11-22T10:00:30\.000Z \(last error: HTTP 503\)/);
  t.regex(error.message, /backup: connection refused/);
  t.regex(error.message, /local: timed out after 20 ms/);
});

test('provider errors reach health and AllProvidersFailed without credentials', async (t) => {
  const leaky = new ScriptedProvider('gemini', 'fail');
  leaky.failure =
    'POST https://generativelanguage.googleapis.com/v1/models:generate?key=AIzaSyD-0123456789abcdefghijklmnopqrstu failed: 403 (Authorization: Bearer ya29.secret-token)';
  const { chain, healthOf } = setup([leaky]);

  const error = await t.throwsAsync(chain.analyzeFeedback('text'), { instanceOf: AllProvidersFailed });
  const lastError = healthOf('gemini').lastError ?? '';
  for (const text of [lastError, error.message]) {
    t.false(text.includes('AIzaSyD-0123456789'), text);
    t.false(text.includes('ya29.secret-token'), text);
    t.true(text.includes('failed: 403'), text);
  }
});

test("a caller's abort stops the chain without counting against the provider", async (t) => {
  const slow = new ScriptedProvider('slow', 'hang-until-aborted');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, outcomes, healthOf } = setup([slow, fallback], { failureThreshold: 1 });
  const controller = new AbortController();

  const pending = chain.analyzeFeedback('text', controller.signal);
  controller.abort(new Error('request cancelled'));

  await t.throwsAsync(pending, { message: 'request cancelled' });
  t.is(fallback.calls, 0, 'an aborted request asks nobody else');
  t.like(healthOf('slow'), { calls: 1, failures: 0, lastError: null, circuit: 'closed' });
  t.deepEqual(outcomes, []);
});

test('a caller abort is honoured even when the provider ignores its signal', async (t) => {
  const slow = new ScriptedProvider('slow', 'hang');
  const { chain, healthOf } = setup([slow], { timeoutMs: 60_000 });
  const controller = new AbortController();

  const pending = chain.analyzeFeedback('text', controller.signal);
  controller.abort(new Error('shutting down'));

  await t.throwsAsync(pending, { message: 'shutting down' });
  t.like(healthOf('slow'), { failures: 0, circuit: 'closed' });
});

test('an already-aborted caller signal calls no provider', async (t) => {
  const primary = new ScriptedProvider('primary', 'answer');
  const { chain, outcomes } = setup([primary]);
  await t.throwsAsync(chain.analyzeFeedback('text', AbortSignal.abort(new Error('too late'))), { message: 'too late' });
  t.is(primary.calls, 0);
  t.deepEqual(outcomes, []);
});

test('a caller abort during a half-open trial leaves the trial for the next call', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const { chain, clock, healthOf } = setup([primary], { failureThreshold: 1, openMs: 10_000 });
  await t.throwsAsync(chain.analyzeFeedback('opens'), { instanceOf: AllProvidersFailed });
  clock.advance(10_000);

  primary.behaviour = 'hang-until-aborted';
  const controller = new AbortController();
  const pending = chain.analyzeFeedback('trial', controller.signal);
  controller.abort(new Error('cancelled'));
  await t.throwsAsync(pending, { message: 'cancelled' });
  t.is(healthOf('primary').circuit, 'half_open');

  primary.behaviour = 'answer';
  t.is((await chain.analyzeFeedback('next trial')).provider, 'primary');
  t.is(healthOf('primary').circuit, 'closed');
});

test('the caller signal reaches the provider combined with the timeout', async (t) => {
  const primary = new ScriptedProvider('primary', 'answer');
  const { chain } = setup([primary]);
  const controller = new AbortController();
  await chain.analyzeFeedback('text', controller.signal);
  const received = primary.signals[0];
  t.not(received, undefined);
  t.not(received, controller.signal, 'a signal of its own, so the timeout can abort it');
  controller.abort();
  t.true(received?.aborted, 'and the caller can still abort it');
});

test('a throwing onCall hook does not change the answer', async (t) => {
  const primary = new ScriptedProvider('primary', 'answer');
  const chain = new ProviderChain([primary], {
    clock: new FakeClock(),
    timeoutMs: 1_000,
    failureThreshold: 1,
    openMs: 1_000,
    onCall: () => {
      throw new Error('metrics down');
    },
  });
  t.is((await chain.analyzeFeedback('text')).provider, 'primary');
});

test('a chain is refused a configuration it cannot honour', (t) => {
  const clock = new FakeClock();
  const options = { clock, timeoutMs: 1_000, failureThreshold: 3, openMs: 30_000 };
  const a = new ScriptedProvider('a', 'answer');
  t.throws(() => new ProviderChain([], options), { instanceOf: RangeError });
  t.throws(() => new ProviderChain([a, new ScriptedProvider('a', 'answer')], options), { instanceOf: RangeError });
  t.throws(() => new ProviderChain([a], { ...options, timeoutMs: 0 }), { instanceOf: RangeError });
  t.throws(() => new ProviderChain([a], { ...options, failureThreshold: 0 }), { instanceOf: RangeError });
  t.throws(() => new ProviderChain([a], { ...options, openMs: -1 }), { instanceOf: RangeError });
});

test('the chain failed for want of a provider only when no provider turned the input down', async (t) => {
  const open = new ScriptedProvider('gemini', 'fail');
  const slow = new ScriptedProvider('slow', 'hang');
  const { chain } = setup([open, slow], { failureThreshold: 1, timeoutMs: 20 });
  await t.throwsAsync(chain.analyzeFeedback('opens the circuit'));
  // Skipped (circuit open) and timed out: nothing was said about this text, so it may be tried again later.
  const unavailable = await t.throwsAsync(chain.analyzeFeedback('text'), { instanceOf: AllProvidersFailed });
  t.deepEqual(unavailable.attempts.map((attempt) => attempt.unavailable), [true, true]);
  t.true(unavailable.unavailable);

  const down = new ScriptedProvider('gemini', 'answer');
  down.analyzeFeedback = async () => Promise.reject(new ProviderUnavailable('HTTP 503'));
  const buggy = new ScriptedProvider('local', 'fail');
  buggy.failure = 'expanded is not iterable';
  const second = setup([down, buggy]);
  const rejected = await t.throwsAsync(second.chain.analyzeFeedback('constructor'), { instanceOf: AllProvidersFailed });
  t.deepEqual(rejected.attempts.map((attempt) => [attempt.provider, attempt.unavailable]), [['gemini', true], ['local', false]]);
  t.false(rejected.unavailable, 'a provider failed on this very input: retrying will not change that');
});
