// `npm run load -- --target http://host:port [--token T] [--duration S] [--p95-ms N] [--max-error-rate R]`: a staged
// load on a running Chorus. Sets up through the real API (target-setup.ts), runs the stages in a child process
// (load-generator.ts), prints a table per stage and per endpoint, and exits 0 within the thresholds, 1 past one,
// 2 for bad arguments or a target it cannot load. Not part of `npm test`: no file here ends in .test.ts but the
// unit tests of its pure parts. How to run it, and a run's tables: README.md, "Load test".
import { roundFor } from './load-plan.js';
import { parseLoadArguments } from './load-options.js';
import { endpointRows, failuresOf, formatMs, formatRate, notesOn, renderEndpointTable, renderStageTable, stageRows, verdict, type StageMeasurement } from './load-report.js';
import { runStages } from './load-generator.js';
import { setUpTarget, TargetError } from './target-setup.js';

const started = performance.now();
const progress = (message: string): void => {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
};

const parsed = parseLoadArguments(process.argv.slice(2));
if (parsed.kind === 'help') {
  process.stdout.write(parsed.text);
  process.exit(0);
}
if (parsed.kind === 'error') {
  process.stderr.write(`load: ${parsed.message}\nRun with --help for the options.\n`);
  process.exit(2);
}
const options = parsed.options;

let setup;
try {
  setup = await setUpTarget(options.target, options.token, options.voters, progress);
} catch (error) {
  if (!(error instanceof TargetError)) throw error;
  process.stderr.write(`load: ${error.message}\n`);
  process.exit(2);
}
const round = roundFor(setup.availability.usable);
if (round.length === 0) {
  process.stderr.write(`load: no endpoint of the mix can be called: ${JSON.stringify(setup.availability.skipped)}\n`);
  process.exit(2);
}
if (setup.tokenLifetimeSeconds !== undefined && setup.tokenLifetimeSeconds < options.durationSeconds + 30) {
  process.stderr.write(
    `load: the voters' access tokens last ${setup.tokenLifetimeSeconds} s (the target's CHORUS_ACCESS_TOKEN_TTL), too short for --duration ${options.durationSeconds} (and 30 s of margin)\n`,
  );
  process.exit(2);
}
// Left-out endpoints grouped by why, so a run without a token says it once.
const leftOut = new Map<string, string[]>();
for (const [name, reason] of Object.entries(setup.availability.skipped)) leftOut.set(reason, [...(leftOut.get(reason) ?? []), name]);
const leftOutLines = [...leftOut].map(([reason, names]) => `left out ${names.join(', ')}: ${reason}`);
if (options.token === undefined) progress('no --token: only the anonymous part runs (POST /v1/feedback); give an admin or operator token for the whole mix');
for (const line of leftOutLines) progress(line);
progress(`round per connection: ${round.join(' → ')}`);
progress(`stages: ${options.stages.map((stage) => `${stage.connections} connections for ${stage.seconds} s`).join(', ')}`);

let measurements: StageMeasurement[];
try {
  measurements = await runStages(
    { url: options.target.origin, stages: options.stages, round, timeoutSeconds: options.timeoutSeconds, token: options.token, cast: setup.cast },
    (measurement) => {
      const [row] = stageRows([measurement]);
      progress(`stage ${row!.stage} (${row!.connections} connections): ${row!.requests} requests, p95 ${formatMs(row!.p95Ms)} ms, errors ${formatRate(row!.errorRate)}`);
    },
  );
} catch (error) {
  // Not a verdict on the target: the run could not be made.
  process.stderr.write(`load: the load generator failed: ${(error as Error).message}\n`);
  process.exit(2);
}

const stages = stageRows(measurements);
const endpoints = endpointRows(measurements);
const thresholds = { p95Ms: options.p95Ms, maxErrorRate: options.maxErrorRate };
const result = verdict(stages, thresholds);
const notes = notesOn(endpoints);

if (options.json) {
  process.stdout.write(
    `${JSON.stringify({ target: options.target.origin, thresholds, round, leftOut: setup.availability.skipped, stages, endpoints, verdict: result, notes }, (key, value: unknown) => (typeof value === 'number' && Number.isNaN(value) ? null : value), 2)}\n`,
  );
} else {
  const lines = [
    `Chorus load test: ${options.target.origin}, ${new Date().toISOString()}, thresholds p95 ${options.p95Ms} ms and error rate ${formatRate(options.maxErrorRate)} per stage`,
    '',
    renderStageTable(stages),
    '',
    renderEndpointTable(endpoints, failuresOf(measurements)),
    '',
    ...(options.token === undefined ? ['no --token: only the anonymous part ran'] : []),
    ...leftOutLines,
    ...notes,
    result.passed ? 'PASS: every stage within the thresholds' : `FAIL: ${result.breaches.join('; ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
process.exit(result.passed ? 0 : 1);
