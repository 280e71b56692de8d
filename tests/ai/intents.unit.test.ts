// The intent registry and orchestrate() without HTTP: names unique across contexts, unknown intents and invalid
// input refused before any provider is asked, apply only where an intent has one; and the lead fields extract-lead
// may apply.
import test from 'ava';
import { z } from 'zod';
import { IntentRegistry, orchestrate, type AiIntent, type ApplyContext, type RunsTracedAiTasks } from '../../application/ai/intents.js';
import { crmIntents, leadDetailsOf } from '../../application/crm/lead-intents.js';
import { feedbackIntents } from '../../application/feedback/feedback-intents.js';
import type { AiTask } from '../../application/ports/ai-provider.js';
import { ValidationError } from '../../domain/kernel/errors.js';

const echoTask: AiTask<{ word: string }, { echoed: string }> = {
  name: 'test.echo',
  answer: z.object({ echoed: z.string() }),
  describe: ({ word }) => ({ instruction: 'Echo.', text: word }),
};
const echo: AiIntent<{ word: string }, { echoed: string }> = { name: 'echo', summary: 'echo', input: z.strictObject({ word: z.string().max(5) }), task: echoTask };

/** A chain that answers by echoing, and counts its calls. */
function echoChain(): RunsTracedAiTasks & { calls: number } {
  const chain = {
    calls: 0,
    async runTraced<Input, Answer>(_task: AiTask<Input, Answer>, input: Input) {
      chain.calls += 1;
      return { answer: { echoed: (input as { word: string }).word } as Answer, provider: 'fake', model: 'fake', attempts: [{ provider: 'fake', ok: true, latencyMs: 1 }] };
    },
  };
  return chain;
}

const on = {} as ApplyContext; // no intent here applies anything but the one that records its call

test('intent names are unique across contexts; the shipped ones are', (t) => {
  t.throws(() => new IntentRegistry([echo, { ...echo, summary: 'again' }]), { instanceOf: RangeError, message: /Two AI intents are named echo/ });
  t.deepEqual(new IntentRegistry([...crmIntents, ...feedbackIntents]).names, ['categorize-feedback', 'extract-lead', 'summarize-activity']);
});

test('an unknown intent, invalid input or apply without an apply: refused before the chain is asked', async (t) => {
  const registry = new IntentRegistry([echo]);
  const chain = echoChain();
  const unknown = await t.throwsAsync(orchestrate(registry, chain, { intent: 'nope', input: {}, apply: false }, on), { instanceOf: ValidationError });
  t.is(unknown.code, 'AI.UNKNOWN_INTENT');
  t.regex(unknown.message, /known intents: echo/);
  const invalid = await t.throwsAsync(orchestrate(registry, chain, { intent: 'echo', input: { word: 'toolong' }, apply: false }, on), { instanceOf: ValidationError });
  t.deepEqual(invalid.errors.map((error) => error.path), ['body.input.word']);
  const apply = await t.throwsAsync(orchestrate(registry, chain, { intent: 'echo', input: { word: 'hi' }, apply: true }, on), { instanceOf: ValidationError });
  t.is(apply.code, 'AI.APPLY_UNSUPPORTED');
  t.is(chain.calls, 0);
  t.deepEqual(await orchestrate(registry, chain, { intent: 'echo', input: { word: 'hi' }, apply: false }, on), {
    intent: 'echo',
    result: { echoed: 'hi' },
    usedProvider: 'fake',
    attempts: [{ provider: 'fake', ok: true, latencyMs: 1 }],
  });
});

test('apply gets the answer and the parsed input, and its result joins the answer', async (t) => {
  const applied: unknown[] = [];
  const registry = new IntentRegistry([{ ...echo, apply: async (answer, input) => (applied.push([answer, input]), { done: true }) }]);
  const outcome = await orchestrate(registry, echoChain(), { intent: 'echo', input: { word: 'hi' }, apply: true }, on);
  t.deepEqual(outcome.applied, { done: true });
  t.deepEqual(applied, [[{ echoed: 'hi' }, { word: 'hi' }]]);
});

test('extracted fields become lead details by the lead\'s rules; what breaks them is left out and named', (t) => {
  t.deepEqual(leadDetailsOf({ name: ' Ada Lovelace ', email: ' Ada@Example.COM ', phone: '+44 20 7946 0958', company: 'Analytical' }), {
    details: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0958', company: 'Analytical', source: 'ai:extract-lead', valueCents: null },
    ignored: [],
  });
  t.deepEqual(leadDetailsOf({ name: 'Ada', email: 'ada at example', phone: '12', company: null }).ignored, [
    { field: 'email', reason: 'not an email address' },
    { field: 'phone', reason: 'not a phone number of 6 to 15 digits' },
  ]);
  for (const name of [null, '  ']) {
    const error = t.throws(() => leadDetailsOf({ name, email: 'a@b.example', phone: null, company: null }), { instanceOf: ValidationError });
    t.is(error.code, 'CRM.EXTRACTED_NO_NAME');
  }
});
