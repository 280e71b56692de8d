// The load test's command line without running it: defaults, every option read, and each refusal's message
// (run.ts exits 2 with it).
import test from 'ava';
import { DEFAULTS, errorRate, parseLoadArguments, type LoadOptions, type ParsedArguments } from './load-options.js';

const target = ['--target', 'http://127.0.0.1:3000'];

function options(parsed: ParsedArguments): LoadOptions {
  if (parsed.kind !== 'run') throw new Error(`expected options, got ${JSON.stringify(parsed)}`);
  return parsed.options;
}

function refusal(parsed: ParsedArguments): string {
  if (parsed.kind !== 'error') throw new Error(`expected a refusal, got ${JSON.stringify(parsed)}`);
  return parsed.message;
}

test('only --target is required; the rest has defaults: 60 s over 5, 20, 50, 20 connections, p95 500 ms, 1 % errors', (t) => {
  const parsed = options(parseLoadArguments(target, {}));
  t.is(parsed.target.origin, 'http://127.0.0.1:3000');
  t.is(parsed.token, undefined);
  t.is(parsed.durationSeconds, DEFAULTS.durationSeconds);
  t.deepEqual(
    parsed.stages.map((stage) => [stage.connections, stage.seconds]),
    [
      [5, 12],
      [20, 18],
      [50, 18],
      [20, 12],
    ],
  );
  t.is(parsed.p95Ms, 500);
  t.is(parsed.maxErrorRate, 0.01);
  t.is(parsed.voters, 20);
  t.is(parsed.timeoutSeconds, 10);
  t.false(parsed.json);
});

test('every option is read', (t) => {
  const parsed = options(
    parseLoadArguments(
      [...target, '--token', 'abc.def.ghi', '--duration', '20', '--stages', '2,4:3', '--p95-ms', '250.5', '--max-error-rate', '2.5%', '--voters', '7', '--timeout', '3', '--json'],
      {},
    ),
  );
  t.is(parsed.token, 'abc.def.ghi');
  t.is(parsed.durationSeconds, 20);
  t.deepEqual(
    parsed.stages.map((stage) => [stage.index, stage.connections, stage.seconds]),
    [
      [1, 2, 6],
      [2, 4, 14],
    ],
  );
  t.is(parsed.p95Ms, 250.5);
  t.is(parsed.maxErrorRate, 0.025);
  t.is(parsed.voters, 7);
  t.is(parsed.timeoutSeconds, 3);
  t.true(parsed.json);
});

test('the token may come from CHORUS_LOAD_TOKEN, and --token wins over it', (t) => {
  t.is(options(parseLoadArguments(target, { CHORUS_LOAD_TOKEN: 'from.env.token' })).token, 'from.env.token');
  t.is(options(parseLoadArguments([...target, '--token', 'from.flag'], { CHORUS_LOAD_TOKEN: 'from.env.token' })).token, 'from.flag');
  t.is(options(parseLoadArguments(target, { CHORUS_LOAD_TOKEN: '' })).token, undefined);
});

test('error rates are shares or percentages from 0 to 1', (t) => {
  t.is(errorRate('0.01'), 0.01);
  t.is(errorRate('1%'), 0.01);
  t.is(errorRate('0'), 0);
  t.is(errorRate('100%'), 1);
  for (const bad of ['', '%', '-0.1', '1.5', '150%', 'one']) t.throws(() => errorRate(bad), { message: /share from 0 to 1/ }, bad);
});

test('each bad argument is refused with a message naming the option and what it expects', (t) => {
  const cases: Array<[readonly string[], RegExp]> = [
    [[], /required option '--target <url>' not specified/],
    [['--target', 'localhost:3000'], /--target <url>.*http:\/\/ or https:\/\//],
    [['--target', 'not a url'], /--target <url>.*expected a URL/],
    [['--target', 'http://127.0.0.1:3000/v1'], /--target <url>.*without a path/],
    [['--target', 'http://me:secret@127.0.0.1:3000'], /credentials go in --token/],
    [[...target, '--duration', '0'], /--duration <seconds>.*whole number from 1 to 3600/],
    [[...target, '--duration', '1.5'], /--duration <seconds>.*whole number/],
    [[...target, '--duration', '3'], /--duration 3 with --stages 5:2,20:3,50:3,20:2: .*at least 4 s for 4 stages/],
    [[...target, '--stages', '5,x'], /--stages <spec>.*stage "x"/],
    [[...target, '--p95-ms', '0'], /--p95-ms <ms>.*above 0/],
    [[...target, '--p95-ms', 'fast'], /--p95-ms <ms>.*above 0/],
    [[...target, '--max-error-rate', '2'], /--max-error-rate <rate>.*share from 0 to 1/],
    [[...target, '--voters', '2'], /--voters <n>.*from 3 to 1000/],
    [[...target, '--token', 'Bearer abc'], /--token .*without "Bearer "/],
    [[...target, '--concurrency', '5'], /unknown option '--concurrency'/],
    [[...target, 'extra'], /too many arguments/],
  ];
  for (const [argv, message] of cases) t.regex(refusal(parseLoadArguments(argv, {})), message, argv.join(' '));
});

test('--help answers with the options, their defaults and the exit codes', (t) => {
  const parsed = parseLoadArguments(['--help'], {});
  if (parsed.kind !== 'help') return t.fail(`expected help, got ${parsed.kind}`);
  for (const expected of ['--target <url>', '--token <token>', '--duration <seconds>', '(default: 60)', '(default: "5:2,20:3,50:3,20:2")', '--p95-ms <ms>', '(default: 500)', '--max-error-rate', '--json', 'Exit code 0'])
    t.true(parsed.text.includes(expected), expected);
});
