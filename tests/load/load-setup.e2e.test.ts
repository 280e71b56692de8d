// The load test's setup and a short load against a real Chorus (embedded, in memory): the mix's routes and their
// access as the target serves them, the users and the first poll made through the API, and one small stage whose
// every request gets its endpoint's expected answer.
import test from 'ava';
import { HttpSpecification, bearerFor } from '../support/http-specification.js';
import { runStages } from './load-generator.js';
import { endpointRows, stageRows } from './load-report.js';
import { roundFor } from './load-plan.js';
import { setUpTarget, TargetError } from './target-setup.js';

const { chorus, call } = HttpSpecification();
const tokenFor = async (roles: Parameters<typeof bearerFor>[1]) => (await bearerFor(chorus(), roles)).Authorization!.slice('Bearer '.length);
const target = () => new URL(chorus().url);
const quiet = () => undefined;

test('without a token only the anonymous submission is planned, and no user is registered', async (t) => {
  const setup = await setUpTarget(target(), undefined, 3, quiet);
  t.deepEqual(setup.availability.usable, ['feedback.submit']);
  t.deepEqual(setup.cast, { voterTokens: [], polls: [] });
  t.is(setup.tokenRoles, undefined);
});

test("a token the target refuses stops the setup with GET /v1/me's problem", async (t) => {
  await t.throwsAsync(setUpTarget(target(), 'not-a-token', 3, quiet), { instanceOf: TargetError, message: /--token was refused by GET \/v1\/me: 401 AUTH\.INVALID_TOKEN/ });
});

test("an operator's token plans no feedback reads: the target's own access rules say so", async (t) => {
  const setup = await setUpTarget(target(), await tokenFor(['operator']), 3, quiet);
  t.deepEqual(setup.tokenRoles, ['operator']);
  t.regex(setup.availability.skipped['feedback.list'] ?? '', /needs one of the roles admin, viewer, agent/);
  t.true(setup.availability.usable.includes('poll.vote'));
});

test('with an admin token: distinct voters following the author, a votable poll, and a stage with no error', async (t) => {
  const token = await tokenFor(['admin']);
  const setup = await setUpTarget(target(), token, 3, quiet);
  t.deepEqual(setup.availability.skipped, {});
  t.is(setup.cast.voterTokens.length, 3);
  t.is(new Set(setup.cast.voterTokens).size, 3);
  t.is(setup.cast.polls.length, 1);
  t.is(setup.cast.polls[0]!.optionIds.length, 4);
  const author = setup.cast.author!;
  const followers = await call('GET', `/v1/users/${author.id}/followers`, { headers: { Authorization: `Bearer ${token}` }, as: 'anonymous' });
  t.is(followers.status, 200);
  t.is(followers.body.items.length, 3);

  const measurements = await runStages(
    { url: chorus().url, stages: [{ index: 1, connections: 2, seconds: 2 }], round: roundFor(setup.availability.usable), timeoutSeconds: 10, token, cast: setup.cast },
    quiet,
  );
  const [stage] = stageRows(measurements);
  t.true(stage!.requests > 0);
  t.is(stage!.errors, 0, JSON.stringify(endpointRows(measurements).map((row) => [row.endpoint, row.statuses])));
  const votes = endpointRows(measurements).find((row) => row.endpoint === 'poll.vote');
  t.truthy(votes, 'votes were cast');
  const results = await call('GET', `/v1/polls/${setup.cast.polls[0]!.id}/results`, { headers: { Authorization: `Bearer ${token}`, 'X-Chorus-Consistency': 'strong' }, as: 'anonymous' });
  t.is(results.status, 200);
  t.true(results.body.totalVotes >= 1);
});
