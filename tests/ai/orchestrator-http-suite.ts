// The AI orchestrator end to end: a real server whose chain is Gemini (a local fake of its API) then the local
// provider, as CHORUS_AI_PROVIDERS=gemini,local configures it; a real HTTP client. Serial: the fake plays its queue in order.
import test, { type ExecutionContext } from 'ava';
import { HttpSpecification, type HttpEnvironment, type RequestOptions } from '../support/http-specification.js';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.js';

export type Profile = Readonly<{ name: string; env(): Promise<HttpEnvironment> }>;

export const GEMINI_TEST_KEY = 'AIzaTestOnlyKey-orchestrator-0123456789abcdef';

const SIGNATURE = 'Best regards,\nAda Lovelace\nHead of Engineering, Analytical Engines Ltd\nada@analytical.example | +44 20 7946 0958';
const ACTIVITY_INPUT = {
  lead: { name: 'Ada Lovelace', company: 'Analytical Engines', status: 'contacted', value: 1200 },
  activities: [{ kind: 'call', text: 'They liked the proposal and want a demo on Friday.', occurredAt: '2026-12-01T10:00:00.000Z' }],
};

export function orchestratorHttpSuite(profile: Profile): void {
  let gemini: FakeGemini;
  const http = HttpSpecification({
    environment: async () => {
      gemini = await startFakeGemini();
      const prepared = await profile.env();
      return {
        env: { ...prepared.env, CHORUS_AI_PROVIDERS: 'gemini,local', GEMINI_API_KEY: GEMINI_TEST_KEY, GEMINI_BASE_URL: gemini.baseUrl, GEMINI_MODEL: 'gemini-test' },
        cleanup: async () => {
          await prepared.cleanup();
          await gemini.close();
        },
      };
    },
    config: { CHORUS_MIN_POSITION_TIMEOUT_MS: '5000', CHORUS_POLL_INTERVAL_MS: '100' },
    as: ['agent'],
  });
  const { call, when } = http;
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);
  const orchestrate = (json: unknown, as?: RequestOptions['as']) => call('POST', '/v1/ai/orchestrate', { json, ...(as === undefined ? {} : { as }) });

  it('extract-lead: Gemini answers; the answer names the intent, the provider, the latency and one attempt', async (t) => {
    gemini.reply({ kind: 'json', value: { name: 'Ada Lovelace', email: 'ada@analytical.example', phone: null, company: 'Analytical Engines' } });
    const reply = await when('POST', '/v1/ai/orchestrate', { json: { intent: 'extract-lead', input: { text: SIGNATURE } } }).then(t, {
      status: 200,
      body: {
        intent: 'extract-lead',
        result: { name: 'Ada Lovelace', email: 'ada@analytical.example', phone: null, company: 'Analytical Engines' },
        usedProvider: 'gemini',
      },
    });
    t.is(typeof reply.body.latencyMs, 'number');
    t.is(reply.body.attempts.length, 1);
    t.like(reply.body.attempts[0], { provider: 'gemini', ok: true });
    t.false('error' in reply.body.attempts[0]);
    t.false('applied' in reply.body);
    t.is(gemini.requests.at(-1)?.body.contents?.[0]?.parts?.[0]?.text, SIGNATURE);
  });

  it('fallback: Gemini failing, the local provider answers, and attempts show both in chain order', async (t) => {
    gemini.reply({ kind: 'status', status: 503, message: `overloaded; key=${GEMINI_TEST_KEY}` });
    const reply = await when('POST', '/v1/ai/orchestrate', { json: { intent: 'extract-lead', input: { text: SIGNATURE } } }).then(t, {
      status: 200,
      body: { intent: 'extract-lead', usedProvider: 'local', result: { name: 'Ada Lovelace', email: 'ada@analytical.example', phone: '+44 20 7946 0958', company: 'Analytical Engines Ltd' } },
    });
    t.deepEqual(
      reply.body.attempts.map(({ provider, ok }: { provider: string; ok: boolean }) => [provider, ok]),
      [['gemini', false], ['local', true]],
    );
    t.regex(reply.body.attempts[0].error, /gemini answered HTTP 503/);
    for (const attempt of reply.body.attempts) t.is(typeof attempt.latencyMs, 'number');
    t.false(JSON.stringify(reply.body).includes(GEMINI_TEST_KEY), 'no API key in the answer');
  });

  it('an answer outside the task\'s schema counts as the provider failing', async (t) => {
    gemini.reply({ kind: 'json', value: { category: 'weather', sentiment: 'negative', confidence: 2 } });
    const reply = await when('POST', '/v1/ai/orchestrate', { json: { intent: 'categorize-feedback', input: { text: 'The app crashes every time I open it' } } }).then(t, {
      status: 200,
      body: { intent: 'categorize-feedback', usedProvider: 'local', result: { category: 'crash' } },
    });
    t.regex(reply.body.attempts[0].error, /^invalid answer to feedback\.triage: /);
  });

  it('categorize-feedback and summarize-activity run their own tasks', async (t) => {
    gemini.reply({ kind: 'json', value: { category: 'bug', sentiment: 'negative', confidence: 0.9 } });
    await when('POST', '/v1/ai/orchestrate', { json: { intent: 'categorize-feedback', input: { text: 'Export to CSV drops the last row' } } }).then(t, {
      status: 200,
      body: { intent: 'categorize-feedback', usedProvider: 'gemini', result: { category: 'bug', sentiment: 'negative', confidence: 0.9 } },
    });
    gemini.reply({ kind: 'json', value: { summary: 'Contacted; liked the proposal.', nextAction: 'Book the demo for Friday.', sentiment: 'positive' } });
    await when('POST', '/v1/ai/orchestrate', { json: { intent: 'summarize-activity', input: ACTIVITY_INPUT } }).then(t, {
      status: 200,
      body: { intent: 'summarize-activity', usedProvider: 'gemini', result: { summary: 'Contacted; liked the proposal.', nextAction: 'Book the demo for Friday.', sentiment: 'positive' } },
    });
    t.regex(gemini.requests.at(-1)?.body.contents?.[0]?.parts?.[0]?.text ?? '', /2026-12-01T10:00:00.000Z call: They liked the proposal/);
    gemini.reply({ kind: 'status', status: 500, message: 'boom' });
    const local = await when('POST', '/v1/ai/orchestrate', { json: { intent: 'summarize-activity', input: ACTIVITY_INPUT } }).then(t, {
      status: 200,
      body: { intent: 'summarize-activity', usedProvider: 'local' },
    });
    t.is(local.body.result.sentiment, 'positive');
    t.regex(local.body.result.nextAction, /Ada Lovelace/);
  });

  it('extract-lead with apply creates the lead through the CRM and returns its id; GET /v1/leads/:id shows it', async (t) => {
    gemini.reply({ kind: 'json', value: { name: 'Grace Hopper', email: ' Grace@Navy.example ', phone: 'call me', company: 'US Navy' } });
    const reply = await when('POST', '/v1/ai/orchestrate', { json: { intent: 'extract-lead', input: { text: 'Grace Hopper, US Navy, grace@navy.example' }, apply: true } }).then(t, {
      status: 200,
      body: { intent: 'extract-lead', usedProvider: 'gemini', applied: { revision: 0, ignored: [{ field: 'phone', reason: 'not a phone number of 6 to 15 digits' }] } },
    });
    const { leadId, position } = reply.body.applied;
    t.regex(leadId, /^[0-9a-f-]{36}$/);
    t.is(reply.headers.get('x-chorus-position'), position);
    await when('GET', `/v1/leads/${leadId}`, { headers: { 'X-Chorus-Min-Position': position } }).then(t, {
      status: 200,
      body: { id: leadId, name: 'Grace Hopper', email: 'grace@navy.example', phone: null, company: 'US Navy', source: 'ai:extract-lead', status: 'new', createdBy: 'as:agent' },
    });
    // The same request again with its Idempotency-Key creates no second lead.
    gemini.reply({ kind: 'json', value: { name: 'Alan Turing', email: null, phone: null, company: null } });
    const key = { 'Idempotency-Key': `orchestrate-${leadId}` };
    const first = await call('POST', '/v1/ai/orchestrate', { json: { intent: 'extract-lead', input: { text: 'Alan Turing' }, apply: true }, headers: key });
    const again = await call('POST', '/v1/ai/orchestrate', { json: { intent: 'extract-lead', input: { text: 'Alan Turing' }, apply: true }, headers: key });
    t.is(first.status, 200);
    t.deepEqual(again.body.applied, first.body.applied);
  });

  it('extract-lead with apply, when the answer names nobody, answers 400 CRM.EXTRACTED_NO_NAME', async (t) => {
    gemini.reply({ kind: 'json', value: { name: null, email: 'info@example.com', phone: null, company: null } });
    await when('POST', '/v1/ai/orchestrate', { json: { intent: 'extract-lead', input: { text: 'info@example.com' }, apply: true } }).then(t, {
      status: 400,
      code: 'CRM.EXTRACTED_NO_NAME',
    });
  });

  it('draft-final-note, registered by the drafts module, runs the DFN task: Gemini gets the examples; the local provider learns from them', async (t) => {
    const examples = [
      { draft: 'um the patient reports chest pain period', finalNote: 'The patient reports chest pain.' },
      { draft: 'um the patient denies fever period', finalNote: 'The patient denies fever.' },
    ];
    gemini.reply({ kind: 'json', value: { finalNote: 'The patient is stable.' } });
    await when('POST', '/v1/ai/orchestrate', { json: { intent: 'draft-final-note', input: { draft: 'um the patient is stable period', examples } } }).then(t, {
      status: 200,
      body: { intent: 'draft-final-note', usedProvider: 'gemini', result: { finalNote: 'The patient is stable.' } },
    });
    t.regex(gemini.requests.at(-1)?.body.contents?.[0]?.parts?.[0]?.text ?? '', /The patient denies fever\./);
    gemini.reply({ kind: 'status', status: 500, message: 'boom' });
    await when('POST', '/v1/ai/orchestrate', { json: { intent: 'draft-final-note', input: { draft: 'um the patient is stable period', examples } } }).then(t, {
      status: 200,
      body: { intent: 'draft-final-note', usedProvider: 'local', result: { finalNote: 'The patient is stable.' } },
    });
    for (const input of [{ draft: '' }, { draft: 'x'.repeat(20_001) }, { draft: 'x', examples: Array.from({ length: 9 }, () => examples[0]) }, { draft: 'x', examples: [{ draft: 'a' }] }]) {
      await when('POST', '/v1/ai/orchestrate', { json: { intent: 'draft-final-note', input } }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    }
  });

  it('unknown intent: 400 listing the known ones; invalid input: 400 naming the field; apply where none applies: 400', async (t) => {
    const unknown = await when('POST', '/v1/ai/orchestrate', { json: { intent: 'write-poem', input: {} } }).then(t, { status: 400, code: 'AI.UNKNOWN_INTENT' });
    for (const name of ['categorize-feedback', 'draft-final-note', 'extract-lead', 'summarize-activity']) t.true(unknown.body.detail.includes(name), `${name} listed`);
    t.deepEqual(unknown.body.errors.map((e: { path: string }) => e.path), ['body.intent']);
    // Names an object carries by inheritance are no intents either.
    for (const intent of ['__proto__', 'constructor', 'toString']) {
      await when('POST', '/v1/ai/orchestrate', { json: { intent, input: {} } }).then(t, { status: 400, code: 'AI.UNKNOWN_INTENT' });
    }
    const cases: [unknown, string[]][] = [
      [{ intent: 'extract-lead', input: { text: '' } }, ['body.input.text']],
      [{ intent: 'extract-lead', input: { text: 'x'.repeat(10_001) } }, ['body.input.text']],
      [{ intent: 'extract-lead', input: { text: 'Ada', extra: 1 } }, ['body.input']],
      [{ intent: 'extract-lead', input: 'Ada' }, ['body.input']],
      [{ intent: 'summarize-activity', input: { ...ACTIVITY_INPUT, activities: [] } }, ['body.input.activities']],
      [{ intent: 'summarize-activity', input: { ...ACTIVITY_INPUT, lead: { ...ACTIVITY_INPUT.lead, status: 'dreaming' } } }, ['body.input.lead.status']],
      [{ intent: 'categorize-feedback', input: { text: 42 } }, ['body.input.text']],
      [{ intent: 'categorize-feedback', input: null }, ['body.input']],
      [{ intent: 'categorize-feedback', input: [{ text: 'x' }] }, ['body.input']],
    ];
    for (const [json, paths] of cases) {
      const reply = await when('POST', '/v1/ai/orchestrate', { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
      t.deepEqual(reply.body.errors.map((e: { path: string }) => e.path), paths, JSON.stringify(json).slice(0, 100));
    }
    for (const json of [{ input: { text: 'Ada' } }, { intent: 'extract-lead' }, { intent: 42, input: {} }, { intent: 'x'.repeat(101), input: {} }, { intent: 'extract-lead', input: { text: 'Ada' }, apply: 'yes' }, { intent: 'extract-lead', input: { text: 'Ada' }, extra: 1 }]) {
      await when('POST', '/v1/ai/orchestrate', { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    }
    await when('POST', '/v1/ai/orchestrate', { json: { intent: 'categorize-feedback', input: { text: 'Nice' }, apply: true } }).then(t, { status: 400, code: 'AI.APPLY_UNSUPPORTED' });
    await when('POST', '/v1/ai/orchestrate', { json: { intent: 'extract-lead', input: { text: 'x'.repeat(70 * 1024) } } }).then(t, { status: 413 });
    t.is(gemini.requests.filter((request) => request.body.contents?.[0]?.parts?.[0]?.text === 'Ada').length, 0, 'no provider asked about invalid input');
  });

  it('who may orchestrate: agents, operators and admins; viewers and members 403; anonymous 401', async (t) => {
    for (const as of [['agent'], ['operator'], ['admin']] as const) {
      gemini.reply({ kind: 'json', value: { category: 'feature', sentiment: 'positive', confidence: 0.7 } });
      const reply = await orchestrate({ intent: 'categorize-feedback', input: { text: 'Please add dark mode' } }, as);
      t.is(reply.status, 200, as.join());
    }
    for (const as of [['viewer'], ['member']] as const) {
      await when('POST', '/v1/ai/orchestrate', { as, json: { intent: 'categorize-feedback', input: { text: 'x' } } }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    }
    await when('POST', '/v1/ai/orchestrate', { as: 'anonymous', json: { intent: 'categorize-feedback', input: { text: 'x' } } }).then(t, { status: 401, code: 'AUTH.REQUIRED' });
  });

  it('providers health: in CHORUS_AI_PROVIDERS order, with calls, failures, last error, last checked and mean latency; operators and admins only', async (t) => {
    const reply = await when('GET', '/v1/ai/providers/health', { as: ['operator'] }).then(t, { status: 200 });
    const [first, second] = reply.body.providers;
    t.deepEqual(reply.body.providers.map(({ name }: { name: string }) => name), ['gemini', 'local']);
    t.like(first, { name: 'gemini', circuit: 'closed', healthy: true });
    t.true(first.calls >= 9, `gemini calls: ${first.calls}`);
    t.is(first.failures, 4);
    t.regex(first.lastError, /gemini answered HTTP 500/);
    t.false(JSON.stringify(reply.body).includes(GEMINI_TEST_KEY));
    t.truthy(first.lastCheckedAt);
    t.is(typeof first.meanLatencyMs, 'number');
    t.like(second, { name: 'local', circuit: 'closed', healthy: true, failures: 0, lastError: null });
    t.is(second.calls, 4, 'the four calls Gemini failed');
    await when('GET', '/v1/ai/providers/health', { as: ['admin'] }).then(t, { status: 200 });
    for (const as of [['agent'], ['viewer'], ['member']] as const) await when('GET', '/v1/ai/providers/health', { as }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    await when('GET', '/v1/ai/providers/health', { as: 'anonymous' }).then(t, { status: 401, code: 'AUTH.REQUIRED' });
  });

  it('/openapi.json documents both routes', async (t) => {
    const reply = await when('GET', '/openapi.json', { as: 'anonymous' }).then(t, { status: 200 });
    t.truthy(reply.body.paths['/v1/ai/orchestrate']?.post);
    t.is(reply.body.paths['/v1/ai/providers/health']?.get?.['x-chorus-access'], 'admin, operator');
  });
}
