// Chorus as a child process (`chorus start`, `chorus run <role>`), built and started the way `npm start` does it.
// Its log goes to a file, to count what it warned about.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Role } from '../../domain/identity/roles.js';
import { bearerSignedWith } from '../support/tokens.js';

const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));

export const BENCH_JWT_SECRET = 'chorus-bench-only-signing-secret-0123456789';

/**
 * What every Chorus a benchmark starts gets: a signing key the bench shares (every process of the Kafka run must
 * verify the same tokens, and the bench signs its own), and rate limits no load here reaches, so that no figure
 * measures 429s.
 */
export const BENCH_AUTH_CONFIG: Readonly<Record<string, string>> = {
  CHORUS_JWT_SECRET: BENCH_JWT_SECRET,
  CHORUS_RATE_LIMIT_IP_PER_MIN: '10000000',
  CHORUS_RATE_LIMIT_USER_PER_MIN: '10000000',
};

/** An Authorization header for a token with these roles, accepted by any Chorus started with BENCH_AUTH_CONFIG. */
export const benchBearer = (roles: readonly Role[]): Promise<Record<string, string>> => bearerSignedWith(BENCH_JWT_SECRET, roles, `bench:${roles.join('+')}`);

export type ChorusProcess = Readonly<{
  url: string;
  pid: number;
  logFile: string;
  /** How it was started: `node bin/chorus.js` (with the start script's Node options), or through tsx when the build failed. */
  entry: string;
  /** SIGTERM (a graceful stop), then SIGKILL after 20 s. */
  stop(): Promise<void>;
}>;

/**
 * Children not stopped yet. A bench that ends without stopping them (an uncaught error, Ctrl-C, a SIGTERM) kills
 * them as it exits, so that no Chorus is left serving and holding its port, its files and its connections.
 */
const unstopped = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of unstopped) child.kill('SIGKILL');
});
// Without a listener a signal ends the process without 'exit'; with one, exit as the signal would have.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.once(signal, () => process.exit(code));

/**
 * Starts `chorus <args>` with only `env` (and PATH, HOME, BENCH_AUTH_CONFIG) in its environment, so that nothing
 * from the shell (DATABASE_URL, KAFKA_BROKERS, ...) changes its profile, and returns once /health/ready answers 200.
 */
export async function startChorusProcess(args: readonly string[], env: Record<string, string>, logDir: string): Promise<ChorusProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(logDir, `chorus-${args.join('-')}.log`);
  const entry = chorusEntry();
  const options = args[0] === 'start' ? startScriptNodeOptions() : [];
  const child = spawn(process.execPath, [...options, ...entry.nodeArgs, ...args], {
    cwd: REPOSITORY,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...BENCH_AUTH_CONFIG, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  unstopped.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      unstopped.delete(child);
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise((resolve) => log.end(resolve));
  };
  try {
    await untilReady(url, child, logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid!, logFile, entry: options.length === 0 ? entry.description : `${entry.description} with ${options.join(' ')}`, stop };
}

type Entry = Readonly<{ nodeArgs: readonly string[]; description: string }>;
let entry: Entry | undefined;

/**
 * `npm run build` once per run, then `node bin/chorus.js` as `npm start` runs it (tsx would add its own memory
 * to the figures); the sources through tsx when the build fails, say while someone's change is half done.
 */
function chorusEntry(): Entry {
  if (entry !== undefined) return entry;
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: REPOSITORY, stdio: ['ignore', 2, 2] });
  entry =
    build.status === 0
      ? { nodeArgs: ['bin/chorus.js'], description: 'node bin/chorus.js' }
      : { nodeArgs: ['--import', 'tsx', 'api/cli/chorus.ts'], description: 'tsx api/cli/chorus.ts (npm run build failed)' };
  return entry;
}

/**
 * The options before bin/chorus.js in package.json's start script, given to `chorus start` only: what `npm start`
 * runs is what is measured, and the roles run as the image runs them, without.
 */
function startScriptNodeOptions(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(REPOSITORY, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const command = /\bnode((?: --\S+)*) bin\/chorus\.js\b/.exec(scripts.start);
  if (command === null) throw new Error(`package.json's start script does not run node bin/chorus.js: ${scripts.start}`);
  return command[1]!.split(' ').filter(Boolean);
}

async function untilReady(url: string, child: ChildProcess, logFile: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`chorus exited with ${child.exitCode}:\n${await readFile(logFile, 'utf8')}`);
    const ready = await fetch(`${url}/health/ready`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`chorus was not ready within ${timeoutMs / 1000} s; its log:\n${await readFile(logFile, 'utf8')}`);
}

/** The process's high-water mark of resident memory (VmHWM), in MiB. */
export async function peakResidentMegabytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kilobytes = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kilobytes === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kilobytes) / 1024;
}

/** How many lines of a pino log are errors (level 50 and up) and warnings (40). */
export async function loggedProblems(logFile: string): Promise<{ errors: number; warnings: number }> {
  const levels = (await readFile(logFile, 'utf8'))
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { level?: number }).level ?? 0);
  return { errors: levels.filter((level) => level >= 50).length, warnings: levels.filter((level) => level === 40).length };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
