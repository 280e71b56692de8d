// The embedded data directory's lock: held by a live process only, whatever a leftover chorus.pid says, and
// released by the operating system with the process, kill -9 included.
import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DataDirInUse, lockDataDir, type LockMechanism } from '../../infrastructure/db/data-dir-lock.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const lockModule = new URL('../../infrastructure/db/data-dir-lock.ts', import.meta.url).href;

/** Takes the lock of argv[1] with the mechanisms in argv[2] (or the platform's), says how it went, and holds on. */
const contender = `
import { lockDataDir } from ${JSON.stringify(lockModule)};
const [dataDir, mechanisms] = process.argv.slice(1);
const options = mechanisms === 'platform' ? {} : { mechanisms: mechanisms.split(',') };
const lines = (await import('node:readline')).createInterface({ input: process.stdin });
console.log('ready');
for await (const line of lines) if (line === 'go') break;
try {
  await lockDataDir(dataDir, options);
  console.log('locked');
  setInterval(() => undefined, 1 << 30);
} catch (error) {
  console.log((error.constructor.name === 'DataDirInUse' ? 'in use: ' : 'failed: ') + error.message);
  process.exit(0);
}
`;

type Contender = Readonly<{ child: ChildProcess; pid: number; nextLine(): Promise<string>; go(): void }>;

const children = new Set<ChildProcess>();

test.after.always(() => {
  for (const child of children) child.kill('SIGKILL');
});

async function startContender(dataDir: string, mechanisms: readonly LockMechanism[] | undefined): Promise<Contender> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', contender, dataDir, mechanisms?.join(',') ?? 'platform'], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done === true) throw new Error('the contender exited without a word');
    return value;
  };
  const contenderProcess = { child, pid: child.pid!, nextLine, go: () => child.stdin!.write('go\n') };
  const first = await nextLine();
  if (first !== 'ready') throw new Error(`the contender said ${first}`);
  return contenderProcess;
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function tempDir(t: ExecutionContext): Promise<string> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'chorus-lock-'));
  t.teardown(() => fs.rm(dataDir, { recursive: true, force: true }));
  return dataDir;
}

const inUseBy = (pid: number): RegExp =>
  new RegExp(`^The data directory .+ is in use by process ${pid}; stop it first, or point CHORUS_DATA_DIR elsewhere$`);

test('a leftover chorus.pid naming this very process does not block (PID 1 in a container after kill -9)', async (t) => {
  const dataDir = await tempDir(t);
  await fs.writeFile(path.join(dataDir, 'chorus.pid'), String(process.pid));
  const release = await lockDataDir(dataDir);
  await release();
  t.pass();
});

test('a leftover chorus.pid naming a live process that is not Chorus does not block', async (t) => {
  const dataDir = await tempDir(t);
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.add(sleeper);
  try {
    await fs.writeFile(path.join(dataDir, 'chorus.pid'), String(sleeper.pid));
    const release = await lockDataDir(dataDir);
    await release();
    t.pass();
  } finally {
    await killHard(sleeper);
  }
});

const variants: readonly { name: string; mechanisms: readonly LockMechanism[] | undefined }[] = [
  { name: 'platform lock', mechanisms: undefined },
  // The lock of platforms without an abstract namespace, exercised here too.
  ...(process.platform === 'win32' ? [] : [{ name: 'socket file', mechanisms: ['socket-file'] as const }]),
];

for (const { name, mechanisms } of variants) {
  const options = mechanisms === undefined ? {} : { mechanisms };

  test(`${name}: a second lock in the same process fails naming this process, also through a symlink; release frees it`, async (t) => {
    const dataDir = await tempDir(t);
    const link = `${dataDir}-link`;
    await fs.symlink(dataDir, link);
    t.teardown(() => fs.rm(link, { force: true }));
    const release = await lockDataDir(dataDir, options);
    try {
      await t.throwsAsync(lockDataDir(dataDir, options), { instanceOf: DataDirInUse, message: inUseBy(process.pid) });
      await t.throwsAsync(lockDataDir(link, options), { instanceOf: DataDirInUse, message: inUseBy(process.pid) });
    } finally {
      await release();
    }
    await (await lockDataDir(link, options))();
  });

  test(`${name}: a holder in another process blocks, naming its PID; killed with SIGKILL, it frees the lock at once`, async (t) => {
    const dataDir = await tempDir(t);
    const holder = await startContender(dataDir, mechanisms);
    holder.go();
    t.is(await holder.nextLine(), 'locked');
    await t.throwsAsync(lockDataDir(dataDir, options), { instanceOf: DataDirInUse, message: inUseBy(holder.pid) });

    await killHard(holder.child);
    const release = await lockDataDir(dataDir, options);
    await release();
  });

  test(`${name}: of two processes locking at once, exactly one wins and the other names it`, async (t) => {
    for (let round = 0; round < 3; round++) {
      const dataDir = await tempDir(t);
      const contenders = await Promise.all([startContender(dataDir, mechanisms), startContender(dataDir, mechanisms)]);
      for (const contender of contenders) contender.go();
      const outcomes = await Promise.all(contenders.map((contender) => contender.nextLine()));
      const winners = contenders.filter((_, index) => outcomes[index] === 'locked');
      t.is(winners.length, 1, `round ${round}: ${outcomes.join(' / ')}`);
      const loser = outcomes.find((outcome) => outcome !== 'locked');
      t.regex(loser ?? '', new RegExp(`^in use: .* in use by process ${winners[0]?.pid}; `));
      await Promise.all(contenders.map((contender) => killHard(contender.child)));
    }
  });
}
