// The load test's figures and verdict from made-up measurements: percentiles by nearest rank, errors as answers
// other than the endpoint's expected status plus requests without an answer, the thresholds judged per stage, and
// the tables printed.
import test from 'ava';
import type { Stage } from './load-plan.js';
import { endpointRows, failuresOf, markdownTable, notesOn, percentile, renderEndpointTable, renderStageTable, stageRows, verdict, type EndpointMeasurement, type StageMeasurement } from './load-report.js';

const stage = (index: number, connections: number, seconds: number): Stage => ({ index, connections, seconds });
const answers = (latenciesMs: number[], statuses: Record<string, number>, failures = 0): EndpointMeasurement => ({ latenciesMs, statuses, failures });
const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

test('percentiles are nearest-rank: the smallest value with at least that share at or below it', (t) => {
  t.is(percentile(oneToHundred, 0.5), 50);
  t.is(percentile(oneToHundred, 0.95), 95);
  t.is(percentile(oneToHundred, 0.99), 99);
  t.is(percentile([7], 0.99), 7);
  t.is(percentile([1, 2, 3], 0.5), 2);
  t.true(Number.isNaN(percentile([], 0.5)));
});

test('a stage counts answers and unanswered requests; errors are unexpected statuses and no answer', (t) => {
  const measurement: StageMeasurement = {
    stage: stage(1, 5, 10),
    elapsedSeconds: 10,
    endpoints: {
      'feedback.submit': answers([...oneToHundred.slice(0, 60)], { 201: 58, 500: 2 }),
      'poll.vote': answers([...oneToHundred.slice(60)], { 201: 39, 409: 1 }, 3),
    },
  };
  const [row, all] = stageRows([measurement]);
  t.like(row, { stage: '1', connections: 5, seconds: 10, requests: 103, requestsPerSecond: 10.3, p50Ms: 50, p95Ms: 95, p99Ms: 99, errors: 6 });
  t.is(row!.errorRate, 6 / 103);
  t.like(all, { stage: 'all', requests: 103, errors: 6 });
});

test("an endpoint's expected status is its success: 200 for a read, 201 for a create; a 200 from a create is an error", (t) => {
  const [row] = stageRows([
    {
      stage: stage(1, 1, 1),
      elapsedSeconds: 1,
      endpoints: { 'feedback.list': answers([1, 1], { 200: 2 }), 'poll.create': answers([1, 1], { 201: 1, 200: 1 }) },
    },
  ]);
  t.is(row!.errors, 1);
});

test('the whole run: requests over the sum of the stages, peak connections, percentiles over every answer', (t) => {
  const rows = stageRows([
    { stage: stage(1, 5, 2), elapsedSeconds: 2, endpoints: { 'feed.read': answers(oneToHundred.slice(0, 50), { 200: 50 }) } },
    { stage: stage(2, 50, 2), elapsedSeconds: 2, endpoints: { 'feed.read': answers(oneToHundred.slice(50), { 200: 49, 503: 1 }) } },
  ]);
  t.deepEqual(
    rows.map((row) => [row.stage, row.connections, row.requests, row.requestsPerSecond, row.p95Ms, row.errors]),
    [
      ['1', 5, 50, 25, 48, 0],
      ['2', 50, 50, 25, 98, 1],
      ['all', 50, 100, 25, 95, 1],
    ],
  );
});

test('endpoint rows merge the stages per endpoint, in the order of the endpoints, with their statuses', (t) => {
  const measurements: StageMeasurement[] = [
    { stage: stage(1, 5, 2), elapsedSeconds: 2, endpoints: { 'poll.vote': answers([3], { 201: 1 }), 'feedback.submit': answers([1, 2], { 201: 2 }) } },
    { stage: stage(2, 5, 2), elapsedSeconds: 2, endpoints: { 'poll.vote': answers([5], { 429: 1 }, 2) } },
  ];
  const rows = endpointRows(measurements);
  t.deepEqual(
    rows.map((row) => [row.endpoint, row.requests, row.errors, row.statuses]),
    [
      ['feedback.submit', 2, 0, { 201: 2 }],
      ['poll.vote', 4, 3, { 201: 1, 429: 1 }],
    ],
  );
  t.is(failuresOf(measurements)('poll.vote'), 2);
  t.is(failuresOf(measurements)('feed.read'), 0);
});

test('the verdict holds every stage to the thresholds, and names each breach; the whole-run row is not judged', (t) => {
  const thresholds = { p95Ms: 100, maxErrorRate: 0.01 };
  const rows = stageRows([
    { stage: stage(1, 5, 1), elapsedSeconds: 1, endpoints: { 'feed.read': answers(oneToHundred, { 200: 100 }) } },
    { stage: stage(2, 20, 1), elapsedSeconds: 1, endpoints: { 'feed.read': answers(oneToHundred.map((ms) => ms * 2), { 200: 98, 500: 2 }) } },
    { stage: stage(3, 50, 1), elapsedSeconds: 1, endpoints: {} },
  ]);
  const judged = verdict(rows, thresholds);
  t.false(judged.passed);
  t.deepEqual(judged.breaches, [
    'stage 2 (20 connections): p95 190 ms > 100 ms',
    'stage 2 (20 connections): error rate 2.00 % > 1.00 % (2 of 100)',
    'stage 3 (50 connections): no request completed',
  ]);
  t.deepEqual(verdict(rows.slice(0, 1), thresholds), { passed: true, breaches: [] });
});

test('at the threshold is within it: p95 equal to the limit and an error rate equal to the maximum pass', (t) => {
  const rows = stageRows([{ stage: stage(1, 5, 1), elapsedSeconds: 1, endpoints: { 'feed.read': answers(oneToHundred, { 200: 99, 500: 1 }) } }]);
  t.true(verdict(rows, { p95Ms: 95, maxErrorRate: 0.01 }).passed);
  t.false(verdict(rows, { p95Ms: 94.9, maxErrorRate: 0.01 }).passed);
  t.false(verdict(rows, { p95Ms: 95, maxErrorRate: 0.0099 }).passed);
});

test('tables: Markdown, padded, numbers aligned right', (t) => {
  t.is(
    markdownTable(['name', 'n'], [['a', '1'], ['bbbbb', '22']], new Set([1])),
    ['| name  |   n |', '| ----- | --: |', '| a     |   1 |', '| bbbbb |  22 |'].join('\n'),
  );
});

test('the stage table has a row per stage and one for the run, with every column the report promises', (t) => {
  const rows = stageRows([{ stage: stage(1, 5, 2), elapsedSeconds: 2, endpoints: { 'feed.read': answers([10, 20, 300, 400], { 200: 3, 503: 1 }, 1) } }]);
  const lines = renderStageTable(rows).split('\n');
  t.is(lines[0], '| stage | connections | seconds | requests | req/s | p50 ms | p95 ms | p99 ms | errors | error rate |');
  t.is(lines[2], '| 1     |           5 |     2.0 |        5 |   2.5 |   20.0 |    400 |    400 |      2 |     40.0 % |');
  t.true(lines[3]!.startsWith('| all   |'));
  t.is(lines.length, 4);
});

test('the endpoint table names the route and what it answered, unanswered requests included', (t) => {
  const measurements: StageMeasurement[] = [{ stage: stage(1, 5, 2), elapsedSeconds: 2, endpoints: { 'poll.vote': answers([10, 20], { 201: 1, 429: 1 }, 1) } }];
  const table = renderEndpointTable(endpointRows(measurements), failuresOf(measurements));
  t.regex(table, /\| poll\.vote +\| POST \/v1\/polls\/\{id\}\/votes \|/);
  t.regex(table, /201×1, 429×1, no answer×1 \|$/m);
});

test('429s get a note on the rate limits; 401s on tokens; clean runs get none', (t) => {
  const rowsWith = (statuses: Record<string, number>) => endpointRows([{ stage: stage(1, 1, 1), elapsedSeconds: 1, endpoints: { 'feed.read': answers([1], statuses) } }]);
  t.regex(notesOn(rowsWith({ 200: 5, 429: 1 })).join('\n'), /CHORUS_RATE_LIMIT_IP_PER_MIN/);
  t.regex(notesOn(rowsWith({ 401: 1 })).join('\n'), /token expired or was refused/);
  t.deepEqual(notesOn(rowsWith({ 200: 5 })), []);
});
