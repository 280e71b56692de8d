// PGlite is one process's database: a second process opening the same directory would corrupt it.
//
// The lock is a listening local socket, which the kernel takes away with the process however it ends (kill -9
// included), so no leftover can block a restart and no recorded PID is ever trusted. A contender that finds
// the socket taken connects to it, and the holder answers with its PID for the error message.
// - Linux: a socket in the abstract namespace, named by the directory's real path: claimed atomically, no file.
//   It is private to the network namespace, so a socket file in the directory backs it up: containers that
//   share the volume but not the network still see each other's lock.
// - Windows: a named pipe, named the same way (libuv creates it with FILE_FLAG_FIRST_PIPE_INSTANCE).
// - Elsewhere: the socket file alone. A file survives its process, so one that nobody answers is removed.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export class DataDirInUse extends Error {}

export type LockMechanism = 'abstract-socket' | 'socket-file' | 'named-pipe';

export type LockOptions = Readonly<{
  /** How to hold the lock; the platform's choice unless a test needs to exercise another one. */
  mechanisms?: readonly LockMechanism[];
}>;

/** Written for people looking at the directory; the lock never reads it. */
const PID_FILE = 'chorus.pid';
const SOCKET_FILE = 'chorus.sock';
/** sun_path holds 108 bytes on Linux and 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 100;
/** A holder that accepts but stays silent this long (a blocked event loop) is still a holder, just unnamed. */
const ANSWER_TIMEOUT_MS = 2000;
const ATTEMPTS = 20;
const NOBODY_THERE = new Set(['ECONNREFUSED', 'ENOENT']);

export function platformLockMechanisms(): readonly LockMechanism[] {
  if (process.platform === 'win32') return ['named-pipe'];
  if (process.platform === 'linux') return ['abstract-socket', 'socket-file'];
  return ['socket-file'];
}

/** Takes the data directory, or fails with DataDirInUse naming the process that has it. Returns the release. */
export async function lockDataDir(dataDir: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  await fs.mkdir(dataDir, { recursive: true });
  const realDir = await fs.realpath(dataDir);
  const servers: net.Server[] = [];
  const release = async (): Promise<void> => {
    await Promise.all(servers.splice(0).map(closeServer));
  };
  try {
    for (const mechanism of options.mechanisms ?? platformLockMechanisms()) {
      servers.push(await holdAny(socketNames(mechanism, realDir), dataDir));
    }
  } catch (error) {
    await release();
    throw error;
  }
  const pidFile = path.join(dataDir, PID_FILE);
  await fs.writeFile(pidFile, `${process.pid}\n`).catch(() => undefined);
  let released: Promise<void> | null = null;
  return () =>
    (released ??= (async () => {
      await fs.rm(pidFile, { force: true }).catch(() => undefined);
      await release();
    })());
}

/** Where to listen, best first. */
function socketNames(mechanism: LockMechanism, realDir: string): string[] {
  const id = `chorus-${createHash('sha256').update(realDir).digest('hex').slice(0, 32)}`;
  switch (mechanism) {
    case 'abstract-socket':
      return [`\0${id}`];
    case 'named-pipe':
      return [`\\\\?\\pipe\\${id}`];
    case 'socket-file': {
      // In the directory itself, so that whoever sees the directory sees the lock; in the temporary directory
      // when the path is too long for a socket, or the file system cannot hold one (some bind mounts).
      const inDir = path.join(realDir, SOCKET_FILE);
      const inTmp = path.join(os.tmpdir(), `${id}.sock`);
      return Buffer.byteLength(inDir) <= MAX_SOCKET_PATH_BYTES ? [inDir, inTmp] : [inTmp];
    }
  }
}

/** A name this process cannot listen on at all (too long, or a file system without sockets). */
class CannotListen extends Error {}

async function holdAny(names: readonly string[], dataDir: string): Promise<net.Server> {
  for (const [index, name] of names.entries()) {
    try {
      return await hold(name, dataDir);
    } catch (error) {
      if (!(error instanceof CannotListen) || index === names.length - 1) throw error;
    }
  }
  throw new Error('no socket name to lock with');
}

/** Listens on `name`, or fails naming whoever listens there already. */
async function hold(name: string, dataDir: string): Promise<net.Server> {
  const isFile = !name.startsWith('\0') && !name.startsWith('\\\\');
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      return await listen(name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        throw new CannotListen(`Could not lock the data directory ${dataDir}: cannot listen on ${name}`, { cause: error });
      }
    }
    const holder = await askHolder(name);
    if (holder.live) {
      const who = holder.pid === null ? 'another process' : `process ${holder.pid}`;
      throw new DataDirInUse(`The data directory ${dataDir} is in use by ${who}; stop it first, or point CHORUS_DATA_DIR elsewhere`);
    }
    // Nobody answers. An abstract socket or a pipe was just released: try again. A socket file may also be one
    // that a holder has bound but not yet listened on, so it counts as left over only if it stays silent.
    if (isFile) await removeIfLeftOver(name);
    else await pause(10);
  }
  throw new Error(`Could not lock the data directory ${dataDir}: ${name} stayed taken but never answered`);
}

function listen(name: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined); // a contender that hangs up early is none of our business
      socket.end(`${process.pid}\n`);
    });
    server.once('error', reject);
    server.listen(name, () => {
      server.off('error', reject);
      // Holding the lock must not keep the process alive, nor should a contender's stray connection.
      server.unref();
      resolve(server);
    });
  });
}

type Holder = Readonly<{ live: boolean; pid: number | null }>;

/** Connects to `name`: refused means nobody holds it; accepted means someone does, who says their PID. */
function askHolder(name: string): Promise<Holder> {
  return new Promise((resolve) => {
    let answer = '';
    let connected = false;
    const socket = net.connect(name);
    const done = (holder: Holder): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(holder);
    };
    const timer = setTimeout(() => done({ live: true, pid: null }), ANSWER_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => done({ live: true, pid: /^\d+\n$/.test(answer) ? Number(answer) : null }));
    // Refused, or no such file: nobody listens. Anything else (no permission, say) may hide a live holder.
    socket.on('error', (error: NodeJS.ErrnoException) => done({ live: connected || !NOBODY_THERE.has(error.code ?? ''), pid: null }));
  });
}

/**
 * Removes a socket file that nobody answers on, unless it changed meanwhile. A contender that binds between the
 * last look and the removal would lose its file; the window is a few system calls wide, and on Linux only
 * processes in different network namespaces can meet in it.
 */
async function removeIfLeftOver(file: string): Promise<void> {
  const before = await fs.stat(file).catch(() => null);
  if (before === null) return; // gone already: bind again
  for (let probe = 0; probe < 3; probe++) {
    await pause(20);
    if ((await askHolder(file)).live) return; // it has started listening: the next bind fails and names it
  }
  const now = await fs.stat(file).catch(() => null);
  if (now !== null && now.ino === before.ino && now.dev === before.dev) await fs.rm(file, { force: true });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
