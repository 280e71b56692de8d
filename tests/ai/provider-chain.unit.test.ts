import test from 'ava';
import { z } from 'zod';
import { AllProvidersFailed, ProviderChain, type ProviderCallOutcome, type ProviderChainOptions } from '../../application/ai/provider-chain.js';
import { ProviderUnavailable } from '../../application/ports/ai-provider.js';
import { feedbackTriageTask, type FeedbackAnalysis } from '../../application/feedback/feedback-triage-task.js';
import type { AiProvider, AiTask, AnyAiTask } from '../../application/ports/ai-provider.js';
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
  signals: AbortSignal[] = [];
  inputs: unknown[] = [];
  answer: unknown = ANALYSIS;
  failure = 'upstream unavailable';
  /** Task names it runs; every task when undefined. */
  tasks: readonly string[] | undefined;
  #held: (() => void)[] = [];

  constructor(
    readonly name: string,
    public behaviour: Behaviour,
  ) {}

  supports(task: AnyAiTask): boolean {
    return this.tasks === undefined || this.tasks.includes(task.name);
  }

  async run<Input, Answer>(_task: AiTask<Input, Answer>, input: Input, signal: AbortSignal): Promise<unknown> {
    this.calls += 1;
    this.signals.push(signal);
    this.inputs.push(input);
    switch (this.behaviour) {
      case 'answer':
        return this.answer;
      case 'fail':
        throw new Error(this.failure);
      case 'hang':
        // Ignores its signal: the chain must stop waiting on its own.
        return new Promise<unknown>(() => {});
      case 'hang-until-aborted':
        return new Promise<unknown>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        });
      case 'held':
        // Answers when the test calls release(), to keep a call in flight.
        return new Promise<unknown>((resolve) => this.#held.push(() => resolve(this.answer)));
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
  /** The feedback triage task, the one every context had first. */
  const triage = (text: string, signal?: AbortSignal) => chain.run(feedbackTriageTask, { text }, signal);
  return { chain, clock, outcomes, healthOf, triage };
}

test('the first provider that answers wins, and later ones are not asked', async (t) => {
  const primary = new ScriptedProvider('primary', 'answer');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { chain, clock, outcomes, triage } = setup([primary, fallback]);
  clock.advance(2_000);

  t.deepEqual(await triage('The export is broken'), { answer: ANALYSIS, provider: 'primary', model: 'primary' });
  t.deepEqual(primary.inputs, [{ text: 'The export is broken' }]);
  t.is(fallback.calls, 0);
  t.deepEqual(outcomes, [['primary', 'success']]);
  t.deepEqual(chain.health(), [
    {
      name: 'primary',
      calls: 1,
      failures: 0,
      lastError: null,
      lastErrorAt: null,
      lastSuccessAt: '2026-11-22T10:00:02.000Z',
      circuit: 'closed',
      lastCheckedAt: '2026-11-22T10:00:02.000Z',
      meanLatencyMs: 0,
      healthy: true,
    },
    { name: 'fallback', calls: 0, failures: 0, lastError: null, lastErrorAt: null, lastSuccessAt: null, circuit: 'closed', lastCheckedAt: null, meanLatencyMs: null, healthy: true },
  ]);
});

test('the chain runs any task, and validates each answer against that task’s own schema', async (t) => {
  const summaryTask: AiTask<{ notes: string }, { summary: string; bullets: string[] }> = {
    name: 'activity.summary',
    answer: z.object({ summary: z.string(), bullets: z.array(z.string()) }),
    describe: ({ notes }) => ({ instruction: 'Summarise.', text: notes }),
  };
  const primary = new ScriptedProvider('primary', 'answer');
  primary.answer = { summary: 'Called twice', bullets: ['no answer'], extra: true };
  const { chain } = setup([primary]);

  t.deepEqual(await chain.run(summaryTask, { notes: 'called, called again' }), { answer: { summary: 'Called twice', bullets: ['no answer'] }, provider: 'primary', model: 'primary' });
  t.deepEqual(primary.inputs, [{ notes: 'called, called again' }]);
  primary.answer = ANALYSIS;
  const error = await t.throwsAsync(chain.run(summaryTask, { notes: 'x' }), { instanceOf: AllProvidersFailed });
  t.regex(error.message, /primary: invalid answer to activity\.summary: summary: Invalid input/);
});

test('a failing provider falls through to the next, and its failure is recorded at clock time', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  primary.failure = 'quota exceeded';
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { clock, outcomes, healthOf, triage } = setup([primary, fallback]);
  clock.advance(5_000);

  const result = await triage('The export is broken');

  t.is(result.provider, 'fallback');
  t.deepEqual(outcomes, [['primary', 'failure'], ['fallback', 'success']]);
  t.deepEqual(healthOf('primary'), {
    name: 'primary',
    calls: 1,
    failures: 1,
    lastError: 'quota exceeded',
    lastErrorAt: '2026-11-22T10:00:05.000Z',
    lastSuccessAt: null,
    circuit: 'closed',
    lastCheckedAt: '2026-11-22T10:00:05.000Z',
    meanLatencyMs: 0,
    healthy: false,
  });
  t.like(healthOf('fallback'), { calls: 1, failures: 0, lastSuccessAt: '2026-11-22T10:00:05.000Z', healthy: true });
});

/** Answers or fails after moving the clock on, as a call that takes that long would. */
class TimedProvider implements AiProvider {
  constructor(
    readonly name: string,
    private readonly clock: FakeClock,
    private readonly script: readonly (readonly [ms: number, outcome: 'answer' | 'fail'])[],
  ) {}

  #call = 0;

  supports(): boolean {
    return true;
  }

  async run(): Promise<unknown> {
    const [ms, outcome] = this.script[this.#call++ % this.script.length]!;
    this.clock.advance(ms);
    if (outcome === 'fail') throw new ProviderUnavailable(`${this.name} answered HTTP 503`);
    return ANALYSIS;
  }
}

test('runTraced records each provider\'s turn with its latency; run answers as before; health keeps the mean latency', async (t) => {
  const clock = new FakeClock();
  const chain = new ProviderChain([new TimedProvider('primary', clock, [[120, 'fail'], [40, 'answer']]), new TimedProvider('fallback', clock, [[30, 'answer']])], {
    clock,
    timeoutMs: 1_000,
    failureThreshold: 3,
    openMs: 30_000,
  });

  const traced = await chain.runTraced(feedbackTriageTask, { text: 'x' });
  t.deepEqual(traced, {
    answer: ANALYSIS,
    provider: 'fallback',
    model: 'fallback',
    attempts: [
      { provider: 'primary', ok: false, error: 'ProviderUnavailable: primary answered HTTP 503', latencyMs: 120 },
      { provider: 'fallback', ok: true, latencyMs: 30 },
    ],
  });
  t.deepEqual(await chain.run(feedbackTriageTask, { text: 'y' }), { answer: ANALYSIS, provider: 'primary', model: 'primary' });
  t.like(chain.health()[0], { calls: 2, failures: 1, meanLatencyMs: 80, healthy: true, lastCheckedAt: '2026-11-22T10:00:00.190Z' });
  t.like(chain.health()[1], { calls: 1, failures: 0, meanLatencyMs: 30, healthy: true });
});

test('when every provider fails, AllProvidersFailed carries each one\'s latency', async (t) => {
  const clock = new FakeClock();
  const chain = new ProviderChain([new TimedProvider('primary', clock, [[15, 'fail']]), new TimedProvider('fallback', clock, [[25, 'fail']])], {
    clock,
    timeoutMs: 1_000,
    failureThreshold: 3,
    openMs: 30_000,
  });
  const error = await t.throwsAsync(chain.runTraced(feedbackTriageTask, { text: 'x' }), { instanceOf: AllProvidersFailed });
  t.deepEqual(
    error.attempts.map(({ provider, latencyMs }) => [provider, latencyMs]),
    [['primary', 15], ['fallback', 25]],
  );
  t.deepEqual(chain.health().map(({ healthy }) => healthy), [false, false]);
});

test('a provider that ignores its timeout is abandoned as failed and the next one answers', async (t) => {
  const slow = new ScriptedProvider('slow', 'hang');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { healthOf, triage } = setup([slow, fallback], { timeoutMs: 20 });

  t.is((await triage('text')).provider, 'fallback');
  t.like(healthOf('slow'), { calls: 1, failures: 1, lastError: 'timed out after 20 ms' });
});

test('a provider that answers in process is called without a timeout, and still gets the caller’s signal', async (t) => {
  const caller = new AbortController();
  let seen: AbortSignal | undefined;
  // Slower than the timeout on purpose: an in-process provider cannot hang, so no deadline applies to it.
  const inProcess: AiProvider = {
    name: 'in-process',
    answersInProcess: true,
    supports: () => true,
    run: async (_task, _input, signal) => {
      seen = signal;
      await new Promise((resolve) => setTimeout(resolve, 60));
      return ANALYSIS;
    },
  };
  const { healthOf, triage } = setup([inProcess], { timeoutMs: 20 });

  t.is((await triage('text', caller.signal)).provider, 'in-process');
  t.is(seen, caller.signal);
  t.like(healthOf('in-process'), { calls: 1, failures: 0 });
});

test('a provider that honours its signal sees it abort at the timeout', async (t) => {
  const slow = new ScriptedProvider('slow', 'hang-until-aborted');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { healthOf, triage } = setup([slow, fallback], { timeoutMs: 20 });

  t.is((await triage('text')).provider, 'fallback');
  t.true(slow.signals[0]?.aborted);
  t.like(healthOf('slow'), { failures: 1, lastError: 'timed out after 20 ms' });
});

test('a provider that throws synchronously or answers nonsense counts as failed', async (t) => {
  const throwing: AiProvider = {
    name: 'throwing',
    supports: () => true,
    run: () => {
      throw new Error('not configured');
    },
  };
  const nonsense = new ScriptedProvider('nonsense', 'answer');
  nonsense.answer = { category: 'billing', sentiment: 'negative', confidence: 0.9 };
  const overconfident = new ScriptedProvider('overconfident', 'answer');
  overconfident.answer = { ...ANALYSIS, confidence: 7 };
  const prose = new ScriptedProvider('prose', 'answer');
  prose.answer = 'It is a bug, I think.';
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { outcomes, healthOf, triage } = setup([throwing, nonsense, overconfident, prose, fallback]);

  t.is((await triage('text')).provider, 'fallback');
  t.like(healthOf('throwing'), { failures: 1, lastError: 'not configured' });
  t.like(healthOf('nonsense'), { failures: 1, lastError: 'invalid answer to feedback.triage: category: Invalid option: expected one of "product"|"feature"|"quality"|"app"|"website"|"bug"|"crash"' });
  t.like(healthOf('overconfident'), { failures: 1, lastError: 'invalid answer to feedback.triage: confidence: Too big: expected number to be <=1' });
  t.like(healthOf('prose'), { failures: 1, lastError: 'invalid answer to feedback.triage: answer: Invalid input: expected object, received string' });
  t.deepEqual(outcomes.map(([, outcome]) => outcome), ['failure', 'failure', 'failure', 'failure', 'success']);
});

test('an answer that fails its schema is the input’s problem as far as the chain knows, and it trips the breaker', async (t) => {
  const babbling = new ScriptedProvider('gemini', 'answer');
  babbling.answer = { category: 'billing', sentiment: 'negative', confidence: 0.9 };
  const { healthOf, triage } = setup([babbling], { failureThreshold: 2 });

  const first = await t.throwsAsync(triage('text'), { instanceOf: AllProvidersFailed });
  t.deepEqual(first.attempts.map((attempt) => attempt.unavailable), [false]);
  t.false(first.unavailable, 'retrying the same input will get the same answer');
  await t.throwsAsync(triage('text again'), { instanceOf: AllProvidersFailed });
  t.is(healthOf('gemini').circuit, 'open');
});

test('the answer carries only the fields of its schema and the provider name', async (t) => {
  const chatty = new ScriptedProvider('chatty', 'answer');
  chatty.answer = { ...ANALYSIS, rawResponse: 'model output', apiKey: 'k' };
  const { triage } = setup([chatty]);
  t.deepEqual(await triage('text'), { answer: ANALYSIS, provider: 'chatty', model: 'chatty' });
});

test('a provider that does not run the task is passed over without a call, a failure or a metric', async (t) => {
  const specialist = new ScriptedProvider('specialist', 'answer');
  specialist.tasks = ['diagram.generate'];
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { outcomes, healthOf, triage } = setup([specialist, fallback], { failureThreshold: 1 });

  t.is((await triage('text')).provider, 'fallback');
  t.is(specialist.calls, 0);
  t.like(healthOf('specialist'), { calls: 0, failures: 0, circuit: 'closed' });
  t.deepEqual(outcomes, [['fallback', 'success']]);

  fallback.behaviour = 'fail';
  const error = await t.throwsAsync(triage('text'), { instanceOf: AllProvidersFailed });
  t.deepEqual(error.attempts[0], { provider: 'specialist', reason: 'does not run feedback.triage', unavailable: true, latencyMs: 0 });
});

test('the circuit opens after the threshold of consecutive failures and the provider is skipped while open', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { clock, outcomes, healthOf, triage } = setup([primary, fallback], { failureThreshold: 2 });

  await triage('one');
  t.is(healthOf('primary').circuit, 'closed', 'one failure is below the threshold');
  await triage('two');
  t.is(healthOf('primary').circuit, 'open');

  clock.advance(29_999);
  outcomes.length = 0;
  t.is((await triage('three')).provider, 'fallback');
  t.is(primary.calls, 2, 'not called while open');
  t.deepEqual(outcomes, [['primary', 'skipped'], ['fallback', 'success']]);
  t.like(healthOf('primary'), { calls: 2, failures: 2, circuit: 'open' });
});

test('a success resets the count of consecutive failures', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { healthOf, triage } = setup([primary, fallback], { failureThreshold: 2 });

  await triage('fails');
  primary.behaviour = 'answer';
  await triage('answers');
  primary.behaviour = 'fail';
  await triage('fails again');
  t.like(healthOf('primary'), { failures: 2, circuit: 'closed' });
});

test('after openMs the circuit half-opens, and a successful trial call closes it', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { clock, outcomes, healthOf, triage } = setup([primary, fallback], { failureThreshold: 1, openMs: 10_000 });

  await triage('opens');
  t.is(healthOf('primary').circuit, 'open');
  clock.advance(10_000);
  t.is(healthOf('primary').circuit, 'half_open');

  primary.behaviour = 'answer';
  outcomes.length = 0;
  t.is((await triage('trial')).provider, 'primary');
  t.deepEqual(outcomes, [['primary', 'success']]);
  t.like(healthOf('primary'), { calls: 2, failures: 1, circuit: 'closed' });
});

test('a failed trial call re-opens the circuit at once, for another openMs', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { clock, healthOf, triage } = setup([primary, fallback], { failureThreshold: 3, openMs: 10_000 });

  for (const text of ['a', 'b', 'c']) await triage(text);
  t.is(healthOf('primary').circuit, 'open');
  clock.advance(10_000);
  await triage('trial');
  t.is(primary.calls, 4, 'exactly one trial call');
  t.is(healthOf('primary').circuit, 'open', 'one failed trial is enough, whatever the threshold');

  clock.advance(9_999);
  await triage('still open');
  t.is(primary.calls, 4);
  clock.advance(1);
  t.is(healthOf('primary').circuit, 'half_open');
});

test('while a half-open trial is in flight, other calls skip the provider', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const fallback = new ScriptedProvider('fallback', 'answer');
  const { clock, outcomes, healthOf, triage } = setup([primary, fallback], { failureThreshold: 1, openMs: 10_000 });
  await triage('opens');
  clock.advance(10_000);

  primary.behaviour = 'held';
  const trial = triage('trial');
  outcomes.length = 0;
  t.is((await triage('concurrent')).provider, 'fallback');
  t.deepEqual(outcomes, [['primary', 'skipped'], ['fallback', 'success']]);
  t.is(primary.calls, 2, 'only the trial reached the provider');
  t.is(healthOf('primary').circuit, 'half_open');

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
  const { healthOf, triage } = setup([open, backup, slow], { failureThreshold: 1, timeoutMs: 20 });
  t.is((await triage('opens gemini')).provider, 'backup');
  t.is(healthOf('gemini').circuit, 'open');
  backup.behaviour = 'fail';

  const error = await t.throwsAsync(triage('text'), { instanceOf: AllProvidersFailed });
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
  const { healthOf, triage } = setup([leaky]);

  const error = await t.throwsAsync(triage('text'), { instanceOf: AllProvidersFailed });
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
  const { outcomes, healthOf, triage } = setup([slow, fallback], { failureThreshold: 1 });
  const controller = new AbortController();

  const pending = triage('text', controller.signal);
  controller.abort(new Error('request cancelled'));

  await t.throwsAsync(pending, { message: 'request cancelled' });
  t.is(fallback.calls, 0, 'an aborted request asks nobody else');
  t.like(healthOf('slow'), { calls: 1, failures: 0, lastError: null, circuit: 'closed' });
  t.deepEqual(outcomes, []);

  // Nor does it count towards the next failures: with a threshold of 1, one real failure opens the circuit.
  slow.behaviour = 'fail';
  await triage('fails');
  t.is(healthOf('slow').circuit, 'open');
});

test('an aborted call counts in the mean latency with the time it took, as it counts among the calls', async (t) => {
  const slow = new ScriptedProvider('slow', 'hang-until-aborted');
  const { clock, healthOf, triage } = setup([slow]);
  const controller = new AbortController();

  const pending = triage('text', controller.signal);
  clock.advance(100);
  controller.abort(new Error('request cancelled'));

  await t.throwsAsync(pending, { message: 'request cancelled' });
  t.like(healthOf('slow'), { calls: 1, failures: 0, meanLatencyMs: 100 });
});

test('aborted calls do not add up to a streak of failures', async (t) => {
  const slow = new ScriptedProvider('slow', 'hang-until-aborted');
  const { healthOf, triage } = setup([slow], { failureThreshold: 2 });
  for (const reason of ['one', 'two', 'three']) {
    const controller = new AbortController();
    const pending = triage('text', controller.signal);
    controller.abort(new Error(reason));
    await t.throwsAsync(pending, { message: reason });
  }
  slow.behaviour = 'fail';
  await t.throwsAsync(triage('fails'), { instanceOf: AllProvidersFailed });
  t.like(healthOf('slow'), { calls: 4, failures: 1, circuit: 'closed' }, 'one failure, below the threshold of 2');
});

test('a caller abort is honoured even when the provider ignores its signal', async (t) => {
  const slow = new ScriptedProvider('slow', 'hang');
  const { healthOf, triage } = setup([slow], { timeoutMs: 60_000 });
  const controller = new AbortController();

  const pending = triage('text', controller.signal);
  controller.abort(new Error('shutting down'));

  await t.throwsAsync(pending, { message: 'shutting down' });
  t.like(healthOf('slow'), { failures: 0, circuit: 'closed' });
});

test('an already-aborted caller signal calls no provider', async (t) => {
  const primary = new ScriptedProvider('primary', 'answer');
  const { outcomes, triage } = setup([primary]);
  await t.throwsAsync(triage('text', AbortSignal.abort(new Error('too late'))), { message: 'too late' });
  t.is(primary.calls, 0);
  t.deepEqual(outcomes, []);
});

test('a caller abort during a half-open trial leaves the trial for the next call', async (t) => {
  const primary = new ScriptedProvider('primary', 'fail');
  const { clock, healthOf, triage } = setup([primary], { failureThreshold: 1, openMs: 10_000 });
  await t.throwsAsync(triage('opens'), { instanceOf: AllProvidersFailed });
  clock.advance(10_000);

  primary.behaviour = 'hang-until-aborted';
  const controller = new AbortController();
  const pending = triage('trial', controller.signal);
  controller.abort(new Error('cancelled'));
  await t.throwsAsync(pending, { message: 'cancelled' });
  t.like(healthOf('primary'), { circuit: 'half_open', failures: 1 });

  primary.behaviour = 'answer';
  t.is((await triage('next trial')).provider, 'primary');
  t.is(healthOf('primary').circuit, 'closed');
});

test('the provider gets a signal of its own, aborted by the caller as well as by the timeout', async (t) => {
  const primary = new ScriptedProvider('primary', 'held');
  const { triage } = setup([primary]);
  const controller = new AbortController();
  const pending = triage('text', controller.signal);
  const received = primary.signals[0];
  t.not(received, undefined);
  t.not(received, controller.signal, 'a signal of its own, so the timeout can abort it');
  t.false(received?.aborted);
  controller.abort(new Error('gone'));
  t.true(received?.aborted, 'and the caller can still abort it');
  await t.throwsAsync(pending, { message: 'gone' });
});

test('the answer names the model the provider says answered the task, else the provider', async (t) => {
  const modelled = Object.assign(new ScriptedProvider('modelled', 'answer'), { modelFor: (task: AnyAiTask) => `model-for-${task.name}` });
  const { triage } = setup([modelled]);
  t.like(await triage('text'), { provider: 'modelled', model: 'model-for-feedback.triage' });
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
  t.is((await chain.run(feedbackTriageTask, { text: 'text' })).provider, 'primary');
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
  const { triage } = setup([open, slow], { failureThreshold: 1, timeoutMs: 20 });
  await t.throwsAsync(triage('opens the circuit'));
  // Skipped (circuit open) and timed out: nothing was said about this text, so it may be tried again later.
  const unavailable = await t.throwsAsync(triage('text'), { instanceOf: AllProvidersFailed });
  t.deepEqual(unavailable.attempts.map((attempt) => attempt.unavailable), [true, true]);
  t.true(unavailable.unavailable);

  const down = new ScriptedProvider('gemini', 'answer');
  down.run = async () => Promise.reject(new ProviderUnavailable('HTTP 503'));
  const buggy = new ScriptedProvider('local', 'fail');
  buggy.failure = 'expanded is not iterable';
  const second = setup([down, buggy]);
  const rejected = await t.throwsAsync(second.triage('constructor'), { instanceOf: AllProvidersFailed });
  t.deepEqual(rejected.attempts.map((attempt) => [attempt.provider, attempt.unavailable]), [['gemini', true], ['local', false]]);
  t.is(rejected.attempts[0]?.reason, 'ProviderUnavailable: HTTP 503');
  t.false(rejected.unavailable, 'a provider failed on this very input: retrying will not change that');
});
