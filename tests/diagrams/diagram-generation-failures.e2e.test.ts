// POST /v1/diagrams/generate when the AI chain answers badly: a DOT answer that does not parse is a 502 with a code
// of its own (the caller's request was fine), every provider failing is 502 with each one's attempt, and the route
// counts against CHORUS_RATE_LIMIT_AI_PER_MIN. Nothing is appended in any of these cases.
import test from 'ava';
import type { AiProvider, AiTask } from '../../application/ports/ai-provider.js';
import { HttpSpecification } from '../support/http-specification.js';

/** Answers every task with `answer`, or fails. */
class StubProvider implements AiProvider {
  readonly name = 'stub';
  failing = false;
  answer: unknown = { title: 'Broken', source: 'digraph {\n  a -> ;\n}' };

  supports(): boolean {
    return true;
  }

  modelFor(): string {
    return 'stub-model-1';
  }

  async run<Input, Answer>(_task: AiTask<Input, Answer>): Promise<unknown> {
    if (this.failing) throw new Error('stub upstream refused');
    return this.answer;
  }
}

const stub = new StubProvider();
const { when, chorus } = HttpSpecification({ aiProviders: () => [stub], as: ['member'], config: { CHORUS_RATE_LIMIT_AI_PER_MIN: '4' } });
const prompt = 'The API writes to the store.';

const diagramEvents = async (): Promise<number> => {
  let count = 0;
  for await (const event of chorus().system.store.readAll()) if (event.streamId.startsWith('diagram-')) count++;
  return count;
};

test.serial('an answer that is not valid DOT is 502 DIAGRAM.GENERATED_INVALID, and appends nothing', async (t) => {
  stub.failing = false;
  const reply = await when('POST', '/v1/diagrams/generate', { json: { prompt, format: 'dot' } }).then(t, { status: 502, code: 'DIAGRAM.GENERATED_INVALID' });
  t.regex(reply.body.detail, /stub \(stub-model-1\).*line 2/);
  t.is(await diagramEvents(), 0);
});

test.serial('every provider failing is 502 AI.ALL_PROVIDERS_FAILED with the attempts', async (t) => {
  stub.failing = true;
  const reply = await when('POST', '/v1/diagrams/generate', { json: { prompt, format: 'mermaid' } }).then(t, { status: 502, code: 'AI.ALL_PROVIDERS_FAILED' });
  t.like(reply.body.attempts[0], { provider: 'stub', ok: false });
  t.is(await diagramEvents(), 0);
});

test.serial('a valid answer creates the diagram; past the AI rate limit the route is 429', async (t) => {
  stub.failing = false;
  stub.answer = { title: 'Store', source: 'digraph { api -> store }' };
  await when('POST', '/v1/diagrams/generate', { json: { prompt, format: 'dot' } }).then(t, { status: 201, body: { provider: 'stub', model: 'stub-model-1', title: 'Store' } });
  // Three calls so far of the four a minute this user may make.
  await when('POST', '/v1/diagrams/generate', { json: { prompt, format: 'dot' } }).then(t, { status: 201 });
  await when('POST', '/v1/diagrams/generate', { json: { prompt, format: 'dot' } }).then(t, { status: 429, code: 'RATE_LIMITED' });
});
