// The orchestrator when providers fail: a chain of Gemini (a local fake of its API) and a stub provider that fails
// on demand. One failing: the other answers and the attempts show both; every one failing: 502 with each one's error
// and latency, credentials masked; provider health shows it.
import test from 'ava';
import type { AiProvider, AiTask } from '../../application/ports/ai-provider.js';
import { GeminiAiProvider } from '../../infrastructure/ai/gemini/gemini-ai-provider.js';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.js';
import { HttpSpecification } from '../support/http-specification.js';

const KEY = 'AIzaTestOnlyKey-failing-providers-0123456789';

/** Answers any task with `answer`, or fails with a message that quotes a credential, as careless upstream errors do. */
class StubProvider implements AiProvider {
  readonly name = 'stub';
  failing = true;
  calls = 0;
  answer: unknown = { name: 'Stub Person', email: null, phone: null, company: null };

  supports(): boolean {
    return true;
  }

  async run<Input, Answer>(_task: AiTask<Input, Answer>): Promise<unknown> {
    this.calls += 1;
    if (this.failing) throw new Error('stub upstream refused: token=stub-secret-value');
    return this.answer;
  }
}

let gemini: FakeGemini;
const stub = new StubProvider();
const { when } = HttpSpecification({
  environment: async () => {
    gemini = await startFakeGemini();
    return { env: {}, cleanup: () => gemini.close() };
  },
  aiProviders: () => [new GeminiAiProvider({ apiKey: KEY, model: 'gemini-test', baseUrl: gemini.baseUrl }), stub],
  as: ['operator'],
});

const body = { intent: 'extract-lead', input: { text: 'Ada Lovelace, ada@analytical.example' } };

test.serial('the first provider failing, the second answers; attempts show both', async (t) => {
  stub.failing = false;
  gemini.reply({ kind: 'status', status: 500, message: 'internal' });
  const reply = await when('POST', '/v1/ai/orchestrate', { json: body }).then(t, {
    status: 200,
    body: { intent: 'extract-lead', usedProvider: 'stub', result: { name: 'Stub Person', email: null, phone: null, company: null } },
  });
  t.like(reply.body.attempts, [{ provider: 'gemini', ok: false }, { provider: 'stub', ok: true }]);
  t.regex(reply.body.attempts[0].error, /^ProviderUnavailable: gemini answered HTTP 500/);
});

test.serial('every provider failing: 502 problem+json with each provider\'s error and latency, and no credentials', async (t) => {
  stub.failing = true;
  gemini.reply({ kind: 'status', status: 503, message: `overloaded, retry later (key=${KEY})` });
  const reply = await when('POST', '/v1/ai/orchestrate', { json: body }).then(t, { status: 502, code: 'AI.ALL_PROVIDERS_FAILED', body: { intent: 'extract-lead' } });
  t.is(reply.body.attempts.length, 2);
  const [fromGemini, fromStub] = reply.body.attempts;
  t.like(fromGemini, { provider: 'gemini', ok: false });
  t.regex(fromGemini.error, /gemini answered HTTP 503/);
  t.like(fromStub, { provider: 'stub', ok: false, error: 'stub upstream refused: token=[redacted]' });
  for (const attempt of reply.body.attempts) t.true(typeof attempt.latencyMs === 'number' && attempt.latencyMs >= 0);
  t.is(typeof reply.body.latencyMs, 'number');
  t.regex(reply.body.detail, /gemini, stub/);
  t.like(reply.body, { type: 'urn:chorus:problem:AI.ALL_PROVIDERS_FAILED', title: 'Bad Gateway', status: 502, instance: '/v1/ai/orchestrate' });
  const text = JSON.stringify(reply.body);
  t.false(text.includes(KEY));
  t.false(text.includes('stub-secret-value'));
});

test.serial('a 502 is not kept for an Idempotency-Key: the retry runs again and may succeed', async (t) => {
  const headers = { 'Idempotency-Key': 'orchestrate-after-502' };
  stub.failing = true;
  gemini.reply({ kind: 'status', status: 500, message: 'internal' });
  await when('POST', '/v1/ai/orchestrate', { json: body, headers }).then(t, { status: 502, code: 'AI.ALL_PROVIDERS_FAILED' });
  stub.failing = false;
  gemini.reply({ kind: 'status', status: 500, message: 'internal' });
  await when('POST', '/v1/ai/orchestrate', { json: body, headers }).then(t, { status: 200, body: { usedProvider: 'stub' } });
});

test.serial('provider health after the failures: order of the chain, counts, last errors; the fifth failure in a row opens Gemini\'s circuit', async (t) => {
  stub.failing = true;
  gemini.reply({ kind: 'status', status: 500, message: 'internal' });
  await when('POST', '/v1/ai/orchestrate', { json: body }).then(t, { status: 502 });
  const reply = await when('GET', '/v1/ai/providers/health').then(t, { status: 200 });
  t.deepEqual(
    reply.body.providers.map(({ name }: { name: string }) => name),
    ['gemini', 'stub'],
  );
  t.like(reply.body.providers[0], { name: 'gemini', calls: 5, failures: 5, healthy: false, circuit: 'open', lastSuccessAt: null });
  t.regex(reply.body.providers[0].lastError, /gemini answered HTTP 500/);
  t.like(reply.body.providers[1], { name: 'stub', calls: 5, failures: 3, healthy: false, lastError: 'stub upstream refused: token=[redacted]' });
  for (const provider of reply.body.providers) {
    t.is(typeof provider.meanLatencyMs, 'number');
    t.truthy(provider.lastCheckedAt);
  }
  t.false(JSON.stringify(reply.body).includes(KEY));
});

test.serial('while Gemini\'s circuit is open it is skipped without a call, and the attempt says why', async (t) => {
  stub.failing = false;
  const before = gemini.requests.length;
  const skipped = await when('POST', '/v1/ai/orchestrate', { json: body }).then(t, { status: 200, body: { usedProvider: 'stub' } });
  t.like(skipped.body.attempts[0], { provider: 'gemini', ok: false, latencyMs: 0 });
  t.regex(skipped.body.attempts[0].error, /^circuit open until /);
  t.is(gemini.requests.length, before, 'Gemini not called while its circuit is open');
  const health = await when('GET', '/v1/ai/providers/health').then(t, { status: 200 });
  t.like(health.body.providers[0], { name: 'gemini', circuit: 'open', healthy: false, calls: 5 });
  t.like(health.body.providers[1], { name: 'stub', healthy: true, calls: 6 });
});
