// The real Gemini client (@google/generative-ai) against a local fake Gemini server: what it sends, what it makes
// of each kind of reply, and that the API key shows nowhere. Nothing here reaches the internet.
import { inspect } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { z } from 'zod';
import { AllProvidersFailed, ProviderChain } from '../../application/ai/provider-chain.js';
import { FeedbackAnalysisSchema, feedbackTriageTask, type FeedbackAnalysis } from '../../application/feedback/feedback-triage-task.js';
import { ProviderUnavailable, type AiProvider, type AiTask } from '../../application/ports/ai-provider.js';
import { FEEDBACK_CATEGORIES, SENTIMENTS } from '../../domain/feedback/events.js';
import { aiProviders } from '../../infrastructure/ai/ai-providers.js';
import { GeminiAiProvider } from '../../infrastructure/ai/gemini/gemini-ai-provider.js';
import { LocalAiProvider } from '../../infrastructure/ai/local/local-ai-provider.js';
import { localTasks } from '../../infrastructure/ai/local/local-tasks.js';
import { loadConfig } from '../../infrastructure/config.js';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.js';

// Shaped like no pattern describeError masks, so only the provider's own care keeps it out of messages.
const API_KEY = 'chorus-test-key-7Qm2xV';
const MODEL = 'gemini-2.0-flash';
const ANALYSIS: FeedbackAnalysis = { category: 'crash', sentiment: 'negative', confidence: 0.9 };
const TEXT = 'The app crashes when I open my orders.';

/** A fake of its own per test, so queued replies never cross between concurrent tests. */
async function fake(t: ExecutionContext): Promise<FakeGemini> {
  const server = await startFakeGemini();
  t.teardown(() => server.close());
  return server;
}

const geminiAt = (server: FakeGemini): GeminiAiProvider => new GeminiAiProvider({ apiKey: API_KEY, model: MODEL, baseUrl: server.baseUrl });
const live = (): AbortSignal => new AbortController().signal;

function chainOf(providers: readonly AiProvider[], timeoutMs = 5_000): ProviderChain {
  return new ProviderChain(providers, { clock: { now: () => new Date() }, timeoutMs, failureThreshold: 5, openMs: 30_000 });
}

test('a task goes out in JSON mode with its answer schema, and its JSON answer comes back', async (t) => {
  const server = await fake(t);
  server.reply({ kind: 'json', value: ANALYSIS });

  t.deepEqual(await geminiAt(server).run(feedbackTriageTask, { text: TEXT }, live()), ANALYSIS);

  t.is(server.requests.length, 1);
  const [request] = server.requests;
  t.is(request?.path, `/v1beta/models/${MODEL}:generateContent`);
  t.is(request?.apiKey, API_KEY, 'the key travels in its header, not in the URL');
  t.is(request?.body.generationConfig?.responseMimeType, 'application/json');
  t.deepEqual(request?.body.generationConfig?.responseSchema, {
    type: 'object',
    properties: {
      category: { type: 'string', format: 'enum', enum: [...FEEDBACK_CATEGORIES], description: FeedbackAnalysisSchema.shape.category.description },
      sentiment: { type: 'string', format: 'enum', enum: [...SENTIMENTS], description: FeedbackAnalysisSchema.shape.sentiment.description },
      confidence: { type: 'number', description: FeedbackAnalysisSchema.shape.confidence.description },
    },
    required: ['category', 'sentiment', 'confidence'],
  });
  t.deepEqual(request?.body.contents, [{ role: 'user', parts: [{ text: TEXT }] }]);
  t.deepEqual(request?.body.systemInstruction?.parts, [{ text: feedbackTriageTask.describe({ text: TEXT }).instruction }]);
});

test('through the chain, a Gemini answer is validated and credited to gemini', async (t) => {
  const server = await fake(t);
  server.reply({ kind: 'json', value: { ...ANALYSIS, reasoning: 'it says crashes' } });
  const chain = chainOf([geminiAt(server), new LocalAiProvider(localTasks)]);

  t.deepEqual(await chain.run(feedbackTriageTask, { text: TEXT }), { answer: ANALYSIS, provider: 'gemini', model: MODEL });
  t.like(chain.health()[0], { name: 'gemini', calls: 1, failures: 0 });
});

for (const status of [429, 500, 503]) {
  test(`HTTP ${status} means Gemini is unavailable, and the local provider answers instead`, async (t) => {
    const server = await fake(t);
    server.reply({ kind: 'status', status, message: 'try again later' }, { kind: 'status', status, message: 'try again later' });

    const error = await t.throwsAsync(geminiAt(server).run(feedbackTriageTask, { text: TEXT }, live()), { instanceOf: ProviderUnavailable });
    t.regex(error.message, new RegExp(`^gemini answered HTTP ${status}\\b.*: try again later$`));

    const chain = chainOf([geminiAt(server), new LocalAiProvider(localTasks)]);
    t.is((await chain.run(feedbackTriageTask, { text: TEXT })).provider, 'local');
    t.regex(chain.health()[0]?.lastError ?? '', new RegExp(`^ProviderUnavailable: gemini answered HTTP ${status}`));
  });
}

test('HTTP 400 is a failure on this input, not unavailability', async (t) => {
  const server = await fake(t);
  server.reply({ kind: 'status', status: 400, message: 'Request contains an invalid argument.' }, { kind: 'status', status: 400, message: 'Request contains an invalid argument.' });

  const error = await t.throwsAsync(geminiAt(server).run(feedbackTriageTask, { text: TEXT }, live()));
  t.false(error instanceof ProviderUnavailable);
  t.is(error.message, 'gemini answered HTTP 400 Bad Request: Request contains an invalid argument.');

  const failed = await t.throwsAsync(chainOf([geminiAt(server)]).run(feedbackTriageTask, { text: TEXT }), { instanceOf: AllProvidersFailed });
  t.false(failed.unavailable, 'the enricher may dead-letter this event');
});

test('a Gemini that never answers times out in the chain as unavailable', async (t) => {
  const server = await fake(t);
  server.reply({ kind: 'hang' });

  // Long enough for the request to reach the server on a loaded machine (at 300 ms it sometimes did not).
  const failed = await t.throwsAsync(chainOf([geminiAt(server)], 2000).run(feedbackTriageTask, { text: TEXT }), { instanceOf: AllProvidersFailed });
  t.deepEqual(
    failed.attempts.map(({ provider, reason, unavailable }) => ({ provider, reason, unavailable })),
    [{ provider: 'gemini', reason: 'timed out after 2000 ms', unavailable: true }],
  );
  t.is(server.requests.length, 1, 'the request did reach the server');
});

test('an aborted signal cuts a hanging request short', async (t) => {
  const server = await fake(t);
  server.reply({ kind: 'hang' });
  const controller = new AbortController();
  const pending = geminiAt(server).run(feedbackTriageTask, { text: TEXT }, controller.signal);
  while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort();
  await t.throwsAsync(pending, { instanceOf: ProviderUnavailable, message: 'gemini request aborted' });
});

test('malformed JSON is a plain failure', async (t) => {
  const server = await fake(t);
  server.reply({ kind: 'text', text: '{"category": "crash", "sentiment": ' }, { kind: 'text', text: 'Category: crash' });

  const error = await t.throwsAsync(geminiAt(server).run(feedbackTriageTask, { text: TEXT }, live()));
  t.false(error instanceof ProviderUnavailable);
  t.regex(error.message, /^gemini answered malformed JSON to feedback\.triage/);

  const failed = await t.throwsAsync(chainOf([geminiAt(server)]).run(feedbackTriageTask, { text: TEXT }), { instanceOf: AllProvidersFailed });
  t.deepEqual(failed.attempts.map((attempt) => attempt.unavailable), [false]);
});

test('well-formed JSON that fails the schema is a failure of gemini, and the next provider is asked', async (t) => {
  const server = await fake(t);
  server.reply({ kind: 'json', value: { category: 'billing', sentiment: 'negative', confidence: 0.9 } });
  const chain = chainOf([geminiAt(server), new LocalAiProvider(localTasks)]);

  const { answer, provider } = await chain.run(feedbackTriageTask, { text: TEXT });
  t.is(provider, 'local');
  t.is(answer.category, 'crash');
  t.regex(chain.health()[0]?.lastError ?? '', /^invalid answer to feedback\.triage: category: Invalid option/);
});

test('an unreachable Gemini is unavailable', async (t) => {
  const server = await startFakeGemini();
  const baseUrl = server.baseUrl;
  await server.close(); // nothing listens there any more

  const error = await t.throwsAsync(new GeminiAiProvider({ apiKey: API_KEY, model: MODEL, baseUrl }).run(feedbackTriageTask, { text: TEXT }, live()), {
    instanceOf: ProviderUnavailable,
  });
  t.regex(error.message, /^gemini unreachable: /);
});

test('the API key shows in no error, health entry, failure message or log line, even when the server echoes it', async (t) => {
  const server = await fake(t);
  const echo = { kind: 'status', status: 403, message: `API key ${API_KEY} is not valid for ${MODEL}` } as const;
  server.reply(echo, echo, { kind: 'text', text: `not json ${API_KEY}` });
  const gemini = geminiAt(server);

  const error = await t.throwsAsync(gemini.run(feedbackTriageTask, { text: TEXT }, live()), { instanceOf: ProviderUnavailable });
  t.regex(error.message, /^gemini answered HTTP 403 Forbidden: API key \[redacted\] is not valid/);

  const chain = chainOf([gemini]);
  const failed = await t.throwsAsync(chain.run(feedbackTriageTask, { text: TEXT }), { instanceOf: AllProvidersFailed });
  const malformed = await t.throwsAsync(chain.run(feedbackTriageTask, { text: TEXT }), { instanceOf: AllProvidersFailed });
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const config = loadConfig({ GEMINI_API_KEY: API_KEY, GEMINI_BASE_URL: server.baseUrl });
  logger.error({ err: failed, config, provider: gemini }, 'enrichment failed');

  for (const text of [error.message, error.stack ?? '', failed.message, malformed.message, JSON.stringify(chain.health()), ...lines, inspect(gemini, { depth: 5 }), inspect(config, { depth: 5 })]) {
    t.false(text.includes(API_KEY), text);
  }
  t.is(server.requests.length, 3);
});

test('a task whose answer Gemini cannot express is not run by it', async (t) => {
  const server = await fake(t);
  const unionTask: AiTask<{ text: string }, { value: string | number }> = {
    name: 'test.union',
    answer: z.object({ value: z.union([z.string(), z.number()]) }),
    describe: ({ text }) => ({ instruction: 'Answer.', text }),
  };
  const gemini = geminiAt(server);
  t.false(gemini.supports(unionTask));
  t.true(gemini.supports(feedbackTriageTask));
  await t.throwsAsync(gemini.run(unionTask, { text: 'x' }, live()), { instanceOf: ProviderUnavailable, message: /test\.union.*anyOf/ });
  t.is(server.requests.length, 0);
});

test('the configuration puts gemini first when it has a key, with its model and base URL', async (t) => {
  const server = await fake(t);
  server.reply({ kind: 'json', value: ANALYSIS });
  const providers = aiProviders(loadConfig({ GEMINI_API_KEY: API_KEY, GEMINI_MODEL: 'gemini-test-1', GEMINI_BASE_URL: `${server.baseUrl}/` }));
  t.deepEqual(providers.map((provider) => provider.name), ['gemini', 'local']);

  t.deepEqual(await providers[0]?.run(feedbackTriageTask, { text: TEXT }, live()), ANALYSIS);
  t.is(server.requests[0]?.path, '/v1beta/models/gemini-test-1:generateContent');
  t.deepEqual(aiProviders(loadConfig({})).map((provider) => provider.name), ['local']);
  t.deepEqual(aiProviders(loadConfig({ GEMINI_API_KEY: API_KEY, CHORUS_AI_PROVIDERS: 'local' })).map((provider) => provider.name), ['local']);
});
