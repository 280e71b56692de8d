// The load test's plan without a server: stages parsed and given their seconds, which endpoints a run may call
// given its credentials and the target's access rules, the round each connection repeats, and the vote pairs.
import test from 'ava';
import { admits, availability, ENDPOINTS, missingRoutes, MIX, parseStages, planStages, roundFor, routeKey, votePair, type Capabilities, type EndpointName } from './load-plan.js';

/** The access of each route of the mix as Chorus's /openapi.json states it (README, "Who may call what"). */
const chorusAccess = new Map<string, string>([
  ['POST /v1/feedback', 'anyone'],
  ['GET /v1/feedback', 'admin, viewer, agent'],
  ['GET /v1/feedback/stats', 'admin, viewer, agent'],
  ['POST /v1/polls', 'admin, member, agent, operator'],
  ['GET /v1/polls/{id}', 'signed-in'],
  ['POST /v1/polls/{id}/votes', 'admin, member, agent, operator'],
  ['GET /v1/polls/{id}/results', 'signed-in'],
  ['GET /v1/feed', 'signed-in'],
]);

const capabilities = (overrides: Partial<Capabilities>): Capabilities => ({ access: chorusAccess, tokenRoles: ['admin'], registration: { possible: true }, ...overrides });

test('stages: connections with optional weights; the default shares 60 s as 12, 18, 18, 12', (t) => {
  const specs = parseStages('5:2,20:3,50:3,20:2');
  t.deepEqual(specs, [
    { connections: 5, weight: 2 },
    { connections: 20, weight: 3 },
    { connections: 50, weight: 3 },
    { connections: 20, weight: 2 },
  ]);
  t.deepEqual(
    planStages(specs, 60).map((stage) => [stage.index, stage.connections, stage.seconds]),
    [
      [1, 5, 12],
      [2, 20, 18],
      [3, 50, 18],
      [4, 20, 12],
    ],
  );
  t.deepEqual(parseStages(' 10 , 30:1.5'), [
    { connections: 10, weight: 1 },
    { connections: 30, weight: 1.5 },
  ]);
});

test('stage seconds are whole, at least 1 each, and add up to the duration whatever the weights', (t) => {
  for (const [spec, duration] of [
    ['5:2,20:3,50:3,20:2', 20],
    ['1,1,1', 10],
    ['5:100,5:1', 7],
    ['5:1,5:1,5:1,5:1', 4],
  ] as const) {
    const stages = planStages(parseStages(spec), duration);
    t.is(stages.reduce((sum, stage) => sum + stage.seconds, 0), duration, `${spec} over ${duration} s`);
    t.true(stages.every((stage) => Number.isInteger(stage.seconds) && stage.seconds >= 1), `${spec} over ${duration} s`);
  }
  t.deepEqual(
    planStages(parseStages('5:100,5:1'), 7).map((stage) => stage.seconds),
    [6, 1],
  );
});

test('malformed stages and a duration shorter than one second per stage are refused with what was expected', (t) => {
  for (const [spec, message] of [
    ['', /connections\[:weight\]/],
    ['5,,20', /connections\[:weight\]/],
    ['five', /stage "five": expected connections\[:weight\]/],
    ['0:1', /connections must be 1 to 1000/],
    ['1001', /connections must be 1 to 1000/],
    ['5:0', /weight must be above 0/],
    ['5:-1', /expected connections\[:weight\]/],
  ] as const) {
    t.throws(() => parseStages(spec), { instanceOf: RangeError, message }, spec);
  }
  t.throws(() => planStages(parseStages('5,20,50,20'), 3), { message: /at least 4 s for 4 stages/ });
});

test('admits reads x-chorus-access as Chorus writes it: anyone, signed-in, or roles with admin everywhere', (t) => {
  t.true(admits('anyone', undefined));
  t.false(admits('signed-in', undefined));
  t.true(admits('signed-in', []));
  t.true(admits('admin, viewer, agent', ['viewer']));
  t.false(admits('admin, viewer, agent', ['operator', 'member']));
  t.true(admits('admin, viewer, agent', ['admin']));
  t.true(admits('admin, member, agent, operator', ['member']));
});

test('with an admin token and open signup every endpoint is usable, and the round is the whole mix', (t) => {
  const { usable, skipped } = availability(capabilities({}));
  t.deepEqual(usable, Object.keys(ENDPOINTS));
  t.deepEqual(skipped, {});
  t.deepEqual(roundFor(usable), [...MIX]);
});

test('without a token only the anonymous submission runs, and each left-out endpoint says why', (t) => {
  const { usable, skipped } = availability(capabilities({ tokenRoles: undefined, registration: { possible: false, reason: 'needs --token' } }));
  t.deepEqual(usable, ['feedback.submit']);
  t.is(skipped['feedback.list'], 'needs --token');
  t.is(skipped['poll.vote'], 'needs --token');
  t.deepEqual(roundFor(usable), ['feedback.submit', 'feedback.submit']);
});

test("an operator's token reads no feedback (admin, viewer, agent): those reads leave the mix, polls and feed stay", (t) => {
  const { usable, skipped } = availability(capabilities({ tokenRoles: ['operator'] }));
  t.deepEqual(usable, ['feedback.submit', 'poll.create', 'poll.read', 'poll.vote', 'poll.results', 'feed.read']);
  t.is(skipped['feedback.stats'], 'needs one of the roles admin, viewer, agent; --token holds operator');
  t.false(roundFor(usable).includes('feedback.list'));
  t.true(roundFor(usable).includes('poll.vote'));
});

test('votes leave the round when polls cannot be made: a poll made in setup takes one vote per voter', (t) => {
  const usable: EndpointName[] = ['feedback.submit', 'poll.vote', 'feed.read'];
  t.deepEqual(roundFor(usable), ['feedback.submit', 'feed.read', 'feedback.submit', 'feed.read']);
});

test("closed signup leaves the voters' and author's endpoints out with its reason", (t) => {
  const reason = 'signup is closed on the target (CHORUS_SIGNUP=closed)';
  const { usable, skipped } = availability(capabilities({ registration: { possible: false, reason } }));
  t.deepEqual(usable, ['feedback.submit', 'feedback.list', 'feedback.stats']);
  t.is(skipped['feed.read'], reason);
});

test('routes of the mix that the target does not serve are named', (t) => {
  t.deepEqual(missingRoutes(chorusAccess), []);
  const older = new Map(chorusAccess);
  older.delete('GET /v1/feed');
  t.deepEqual(missingRoutes(older), ['GET /v1/feed']);
  t.is(routeKey(ENDPOINTS['poll.vote']), 'POST /v1/polls/{id}/votes');
});

test('vote pairs: every (voter, poll) at most once, in order, until the polls made so far are used up', (t) => {
  const voters = 3;
  const pairs = Array.from({ length: 7 }, (_, n) => votePair(n, voters, 2));
  t.deepEqual(pairs.slice(0, 6), [
    { voter: 0, poll: 0 },
    { voter: 1, poll: 0 },
    { voter: 2, poll: 0 },
    { voter: 0, poll: 1 },
    { voter: 1, poll: 1 },
    { voter: 2, poll: 1 },
  ]);
  t.is(pairs[6], undefined);
  t.deepEqual(votePair(6, voters, 3), { voter: 0, poll: 2 });
});
