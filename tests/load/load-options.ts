// The load test's command line (commander): what it takes, its defaults, and a clear message for what it refuses.
// Parsing never exits the process: run.ts decides (exit 2 for bad arguments), and the unit test calls it as is.
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_STAGES, parseStages, planStages, type Stage } from './load-plan.js';

export type LoadOptions = Readonly<{
  target: URL;
  token: string | undefined;
  durationSeconds: number;
  stages: readonly Stage[];
  p95Ms: number;
  maxErrorRate: number;
  voters: number;
  timeoutSeconds: number;
  json: boolean;
}>;

export type ParsedArguments =
  | Readonly<{ kind: 'run'; options: LoadOptions }>
  | Readonly<{ kind: 'help'; text: string }>
  | Readonly<{ kind: 'error'; message: string }>;

export const DEFAULTS = { durationSeconds: 60, p95Ms: 500, maxErrorRate: 0.01, voters: 20, timeoutSeconds: 10 } as const;

const integer = (min: number, max: number) => (value: string): number => {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
  const number = Number(value);
  if (number < min || number > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
  return number;
};

const positiveNumber = (value: string): number => {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a number above 0.');
  return number;
};

/** `0.01` or `1%`: a share from 0 to 1. */
export const errorRate = (value: string): number => {
  const text = value.trim();
  const percent = text.endsWith('%');
  const number = Number(percent ? text.slice(0, -1) : text);
  const rate = percent ? number / 100 : number;
  if (text === '' || text === '%' || !Number.isFinite(rate) || rate < 0 || rate > 1) throw new InvalidArgumentError('expected a share from 0 to 1 (0.01) or a percentage (1%).');
  return rate;
};

const targetUrl = (value: string): URL => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://127.0.0.1:3000.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// URL.');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') throw new InvalidArgumentError('expected the server alone (http://host:port), without a path: the routes are the load test\'s.');
  if (url.username !== '' || url.password !== '') throw new InvalidArgumentError('credentials go in --token, not in the URL.');
  return url;
};

const stagesSpec = (value: string): string => {
  try {
    parseStages(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
  return value;
};

function command(): Command {
  return new Command('npm run load --')
    .description(
      'Staged load on a running Chorus: a mix of feedback submissions, feedback list and stats reads, poll creation, votes by distinct voters and feed reads, ' +
        'at rising then falling connections. Exit code 0: within the thresholds; 1: a threshold breached; 2: bad arguments or target unreachable.',
    )
    .addOption(new Option('--target <url>', 'the Chorus to load, e.g. http://127.0.0.1:3000').argParser(targetUrl).makeOptionMandatory())
    .addOption(
      new Option(
        '--token <token>',
        'an admin or operator access token (or set CHORUS_LOAD_TOKEN): without it only the anonymous part runs (POST /v1/feedback); with it the setup registers the voters and the poll author',
      ),
    )
    .addOption(new Option('--duration <seconds>', 'the whole run, shared among the stages by their weights').argParser(integer(1, 3600)).default(DEFAULTS.durationSeconds))
    .addOption(new Option('--stages <spec>', 'connections[:weight] per stage, comma-separated').argParser(stagesSpec).default(DEFAULT_STAGES))
    .addOption(new Option('--p95-ms <ms>', 'largest p95 latency a stage may have').argParser(positiveNumber).default(DEFAULTS.p95Ms))
    .addOption(new Option('--max-error-rate <rate>', 'largest share of errors a stage may have: 0.01 or 1%').argParser(errorRate).default(DEFAULTS.maxErrorRate))
    .addOption(new Option('--voters <n>', 'users registered to vote (each votes once per poll)').argParser(integer(3, 1000)).default(DEFAULTS.voters))
    .addOption(new Option('--timeout <seconds>', 'a request without an answer this long counts as an error').argParser(integer(1, 120)).default(DEFAULTS.timeoutSeconds))
    .option('--json', 'print the figures as JSON instead of tables', false)
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false);
}

type Raw = { target: URL; token?: string; duration: number; stages: string; p95Ms: number; maxErrorRate: number; voters: number; timeout: number; json: boolean };

/** Parses the arguments after the script's name (process.argv.slice(2)); `env` holds CHORUS_LOAD_TOKEN, taken when --token is absent. */
export function parseLoadArguments(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArguments {
  let written = '';
  const program = command()
    .exitOverride()
    .configureOutput({ writeOut: (text) => (written += text), writeErr: (text) => (written += text), outputError: () => undefined });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    if (code === 'commander.helpDisplayed' || code === 'commander.help') return { kind: 'help', text: written };
    return { kind: 'error', message: message.replace(/^error: /, '') };
  }
  const raw = program.opts<Raw>();
  let stages: Stage[];
  try {
    stages = planStages(parseStages(raw.stages), raw.duration);
  } catch (error) {
    return { kind: 'error', message: `--duration ${raw.duration} with --stages ${raw.stages}: ${(error as Error).message}` };
  }
  const token = (raw.token ?? (env.CHORUS_LOAD_TOKEN || undefined))?.trim();
  if (token !== undefined && (token === '' || /\s/.test(token))) return { kind: 'error', message: '--token (or CHORUS_LOAD_TOKEN): expected the token alone, without "Bearer " or spaces' };
  return {
    kind: 'run',
    options: {
      target: raw.target,
      token,
      durationSeconds: raw.duration,
      stages,
      p95Ms: raw.p95Ms,
      maxErrorRate: raw.maxErrorRate,
      voters: raw.voters,
      timeoutSeconds: raw.timeout,
      json: raw.json,
    },
  };
}

export const helpText = (): string => command().helpInformation();
