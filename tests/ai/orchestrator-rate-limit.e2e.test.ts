// Orchestrator calls are limited per user (CHORUS_RATE_LIMIT_AI_PER_MIN): each may be a paid model call.
import test from 'ava';
import { bearerFor, HttpSpecification } from '../support/http-specification.js';

const { chorus, when } = HttpSpecification({ config: { CHORUS_RATE_LIMIT_AI_PER_MIN: '2' }, as: ['agent'] });

const json = { intent: 'categorize-feedback', input: { text: 'The app crashes on start' } };

test.serial('past CHORUS_RATE_LIMIT_AI_PER_MIN a user gets 429 with Retry-After; other users and other routes are not held back', async (t) => {
  await when('POST', '/v1/ai/orchestrate', { json }).then(t, { status: 200, headers: { 'ratelimit-limit': '2', 'ratelimit-remaining': '1' } });
  await when('POST', '/v1/ai/orchestrate', { json }).then(t, { status: 200, headers: { 'ratelimit-remaining': '0' } });
  await when('POST', '/v1/ai/orchestrate', { json }).then(t, { status: 429, code: 'RATE_LIMITED', headers: { 'retry-after': /^\d+$/ } });
  await when('POST', '/v1/ai/orchestrate', { json, as: ['operator'] }).then(t, { status: 200 });
  await when('GET', '/v1/leads/stats').then(t, { status: 200 });
});

test.serial('a caller refused for their role spends none of the AI limit', async (t) => {
  // One user (one sub), first with a token of a role that may not orchestrate, then with one that may.
  const asViewer = await bearerFor(chorus(), ['viewer'], 'one-user');
  const asAgent = await bearerFor(chorus(), ['agent'], 'one-user');
  for (let i = 0; i < 3; i++) await when('POST', '/v1/ai/orchestrate', { json, headers: asViewer }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
  await when('POST', '/v1/ai/orchestrate', { json, headers: asAgent }).then(t, { status: 200, headers: { 'ratelimit-remaining': '1' } });
  await when('POST', '/v1/ai/orchestrate', { json, headers: asAgent }).then(t, { status: 200 });
  await when('POST', '/v1/ai/orchestrate', { json, headers: asAgent }).then(t, { status: 429, code: 'RATE_LIMITED' });
});
