// Command → read model through Kafka: the api, relay, projector and enricher roles each in a process of its own
// (`chorus run <role>`), the API reading a streaming replica. Commands arrive at a steady rate; for each one the
// figure is the time from sending its POST until GET /v1/feedback/:id answers 200 (from the replica).
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Kafka } from 'kafkajs';
import pg from 'pg';
import { serverTestDatabase } from '../support/databases.js';
import { testTopicPrefix } from '../support/kafka.js';
import { replicaOf } from '../support/replica.js';
import { benchBearer, loggedProblems, startChorusProcess, type ChorusProcess } from './chorus-process.js';
import { cpuDetails, watchCpu, type CpuShare } from './cpu-share.js';
import { median, skipped, type Figure } from './figures.js';
import { progress } from './progress.js';

const nameAt = (perSecond: number): string => `command → read model through Kafka p50/p99 (${perSecond} commands/s)`;
const COMMANDS_PER_SECOND = 200;
/**
 * Then the same at a quarter of the rate, on the same warm processes: what the pipeline itself takes when the
 * machine has CPU to spare, beside the figure at the rate the target names, where two cores run out of it.
 */
const LOW_COMMANDS_PER_SECOND = 50;
const SECONDS = 10;
/**
 * Before the measured commands, as many at the same rate whose figures are dropped: four Node processes compiling
 * their hot paths and a broker loading its fresh topics take seconds on two cores, and the figure is the steady one.
 */
const WARM_UP_SECONDS = SECONDS;
/**
 * How often the replica is asked which submitted feedback it has. Only feedback it has is then read through the
 * API, so the measurement adds about one GET per command to the load instead of a stream of 404s.
 */
const TICK_MS = 5;
/** A command not readable this long after its POST counts as never read. */
const GIVE_UP_MS = 30_000;
const ROLES = ['api', 'relay', 'projector', 'enricher'] as const;

/**
 * Node's http client with kept-alive connections: the bench shares two cores with every role it measures, and
 * fetch costs it several times the CPU per request.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

type Answer = Readonly<{ status: number; body: string; header(name: string): string | null }>;

function request(url: string, method: 'GET' | 'POST', body?: string, credentials: Readonly<Record<string, string>> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? { ...credentials } : { ...credentials, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    const sent = http.request(url, { method, agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const header = (name: string): string | null => {
          const value = response.headers[name.toLowerCase()];
          return typeof value === 'string' ? value : null;
        };
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), header });
      });
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

type Command = { sentAt: number; id?: string; postMs?: number; onReplica?: boolean; reading?: boolean; latencyMs?: number; failed?: string; readFrom?: string | null };

export async function kafkaFigures(serverUrl: string, env: NodeJS.ProcessEnv): Promise<Figure[]> {
  const brokers = env.KAFKA_BROKERS;
  const replicas = env.DATABASE_REPLICA_URLS;
  const skippedAll = (reason: string): Figure[] => [COMMANDS_PER_SECOND, LOW_COMMANDS_PER_SECOND].map((rate) => ({ name: nameAt(rate), unit: 'ms', chorus: skipped(reason) }));
  if (!brokers) return skippedAll('skipped: KAFKA_BROKERS unset');
  if (!replicas) return skippedAll('skipped: DATABASE_REPLICA_URLS unset');

  const testDb = await serverTestDatabase(serverUrl);
  await testDb.database.close();
  const logDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-bench-kafka-'));
  const prefix = testTopicPrefix();
  const running: ChorusProcess[] = [];
  let keepLogs = true;
  try {
    const replica = await replicaOf(testDb.url!, replicas.split(',')[0]!.trim());
    const roleEnv = {
      LOG_LEVEL: 'warn',
      DATABASE_URL: testDb.url!,
      DATABASE_REPLICA_URLS: replica,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      ...(env.REDIS_URL ? { REDIS_URL: env.REDIS_URL } : {}),
    };
    for (const role of ROLES) {
      progress(`Kafka: starting the ${role} role`);
      running.push(await startChorusProcess(['run', role], roleEnv, logDir));
    }
    const api = running[0]!.url;
    progress(`Kafka: warming up, ${COMMANDS_PER_SECOND} commands/s for ${WARM_UP_SECONDS} s`);
    const warmUp = await steadyCommands(api, replica, COMMANDS_PER_SECOND * WARM_UP_SECONDS, COMMANDS_PER_SECOND);
    const warmUpRead = warmUp.flatMap((command) => (command.latencyMs === undefined ? [] : [command.latencyMs]));
    progress(`Kafka: warm-up read ${warmUpRead.length} of ${warmUp.length}, median ${Math.round(median(warmUpRead.length > 0 ? warmUpRead : [0]))} ms`);
    const measured = [];
    for (const rate of [COMMANDS_PER_SECOND, LOW_COMMANDS_PER_SECOND]) {
      // Kept-alive sockets idle while the last reads came in may be closing on the server's side (its keep-alive
      // timeout); a POST sent on one would fail with ECONNRESET. The measured commands start on fresh ones.
      agent.destroy();
      progress(`Kafka: ${rate} commands/s for ${SECONDS} s`);
      const cpu = watchCpu(running.map((role) => role.pid));
      const commands = await steadyCommands(api, replica, rate * SECONDS, rate);
      measured.push({ rate, commands, cpu: cpu.stop() });
    }
    const logged = await Promise.all(running.map((role) => loggedProblems(role.logFile)));
    const problems = { errors: sum(logged.map((count) => count.errors)), warnings: sum(logged.map((count) => count.warnings)) };
    keepLogs = problems.errors > 0 || problems.warnings > 0;
    return measured.map(({ rate, commands, cpu }) => ({ name: nameAt(rate), unit: 'ms', chorus: summary(commands, problems, cpu) }));
  } finally {
    await Promise.all(running.map((role) => role.stop()));
    await deleteTopics(brokers.split(','), prefix).catch((error: unknown) => progress(`could not delete the topics ${prefix}.*: ${String(error)}`));
    await testDb.drop();
    if (keepLogs) progress(`the roles' logs: ${logDir}`);
    else await rm(logDir, { recursive: true, force: true });
  }
}

/** Sends `count` commands at `perSecond`, on schedule whether or not earlier ones have been read, and reads them. */
async function steadyCommands(api: string, replica: string, count: number, perSecond: number): Promise<Command[]> {
  const commands: Command[] = [];
  const unread: Command[] = [];
  const submitted: Promise<void>[] = [];
  let sending = true;
  // Anyone may submit; reading takes a viewer's token.
  const viewer = await benchBearer(['viewer']);
  const reading = readUntilDone(api, replica, viewer, unread, () => sending || unread.length > 0);
  const started = performance.now();
  for (let n = 0; n < count; n++) {
    const wait = started + (n * 1000) / perSecond - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const command: Command = { sentAt: performance.now() };
    commands.push(command);
    submitted.push(submit(api, command, n).then(() => void (command.id === undefined ? undefined : unread.push(command))));
  }
  await Promise.all(submitted);
  sending = false;
  await reading;
  return commands;
}

async function submit(api: string, command: Command, n: number): Promise<void> {
  try {
    const created = await request(`${api}/v1/feedback`, 'POST', JSON.stringify({ text: `Feedback ${n}: the export button does nothing`, rating: (n % 5) + 1 }));
    if (created.status === 201) {
      command.id = (JSON.parse(created.body) as { id: string }).id;
      command.postMs = performance.now() - command.sentAt;
    } else {
      command.failed = `POST answered ${created.status}`;
    }
  } catch (error) {
    const { code, message } = error as Error & { code?: string };
    command.failed = code ?? message;
  }
}

/** Reads each command's feedback through the API once the replica has it; gives up on it after GIVE_UP_MS. */
async function readUntilDone(api: string, replicaUrl: string, credentials: Readonly<Record<string, string>>, unread: Command[], going: () => boolean): Promise<void> {
  const replica = new pg.Client({ connectionString: replicaUrl });
  await replica.connect();
  const reads = new Set<Promise<void>>();
  try {
    while (going()) {
      const tick = performance.now();
      const waiting = unread.filter((command) => command.onReplica !== true);
      if (waiting.length > 0) {
        const { rows } = await replica.query<{ id: string }>('select id::text as id from feedback where id = any($1::uuid[])', [waiting.map((command) => command.id)]);
        const arrived = new Set(rows.map((row) => row.id));
        for (const command of waiting) command.onReplica = arrived.has(command.id!);
      }
      // Each GET runs on its own: the next look at the replica does not wait for the answers of this one's.
      for (const command of unread) {
        if (command.onReplica !== true || command.reading === true || command.latencyMs !== undefined) continue;
        command.reading = true;
        const read = readThroughApi(api, credentials, command).finally(() => {
          command.reading = false;
          if (command.latencyMs === undefined) command.onReplica = false; // not readable through the API yet: look again
          reads.delete(read);
        });
        reads.add(read);
      }
      for (const command of unread) if (command.latencyMs === undefined && performance.now() - command.sentAt > GIVE_UP_MS) command.failed = 'never readable';
      for (let i = unread.length - 1; i >= 0; i--) if (unread[i]!.latencyMs !== undefined || unread[i]!.failed !== undefined) unread.splice(i, 1);
      const rest = tick + TICK_MS - performance.now();
      if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    }
  } finally {
    await Promise.all(reads);
    await replica.end();
  }
}

async function readThroughApi(api: string, credentials: Readonly<Record<string, string>>, command: Command): Promise<void> {
  const read = await request(`${api}/v1/feedback/${command.id}`, 'GET', undefined, credentials).catch(() => null);
  if (read?.status !== 200 || command.failed !== undefined) return;
  command.latencyMs = performance.now() - command.sentAt;
  command.readFrom = read.header('x-chorus-read-from');
}

function summary(commands: readonly Command[], logged: Readonly<{ errors: number; warnings: number }>, cpu: CpuShare | undefined): Figure['chorus'] {
  const latencies = commands.flatMap((command) => (command.latencyMs === undefined ? [] : [command.latencyMs]));
  if (latencies.length === 0) return skipped(`no command reached the read model (${commands[0]?.failed ?? 'none sent'})`);
  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
  // Kept up: every command read, and the last fifth not much slower than the first (no backlog growing).
  const fifth = Math.max(1, Math.floor(commands.length / 5));
  const medianOf = (part: readonly Command[]) => median(part.map((command) => command.latencyMs ?? GIVE_UP_MS));
  const [first, last] = [medianOf(commands.slice(0, fifth)), medianOf(commands.slice(-fifth))];
  const keptUp = latencies.length === commands.length && last <= Math.max(2 * first, first + 50);
  const sendingSeconds = (commands[commands.length - 1]!.sentAt - commands[0]!.sentAt) / 1000;
  const fromWriter = commands.filter((command) => command.latencyMs !== undefined && command.readFrom !== 'replica').length;
  const failed = commands.flatMap((command) => (command.failed === undefined || command.failed === 'never readable' ? [] : [command.failed]));
  const failures = failed.length;
  const posts = commands.flatMap((command) => (command.postMs === undefined ? [] : [command.postMs]));
  return {
    value: median(latencies),
    details: {
      'p99 ms': p99,
      // Where the time goes: the API's answer to the POST is part of every latency.
      'POST p50 ms': median(posts.length > 0 ? posts : [0]),
      'kept up': keptUp ? 'yes' : 'no',
      'p50 first/last fifth ms': `${Math.round(first)}/${Math.round(last)}`,
      'commands/s sent': (commands.length - 1) / sendingSeconds,
      'POST failed': failures,
      ...(failures > 0 ? { 'first failure': failed[0]! } : {}),
      'never read': commands.length - latencies.length - failures,
      ...(fromWriter > 0 ? { 'read from the writer': fromWriter } : {}),
      // Latency on a machine with no CPU to spare is mostly waiting for a core: these say how much there was.
      ...cpuDetails(cpu, 'roles'),
      'logged errors/warnings': `${logged.errors}/${logged.warnings}`,
    },
  };
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** The run's topics (`<prefix>.<context>`, `<prefix>.dlq`) go with it. */
async function deleteTopics(brokers: readonly string[], prefix: string): Promise<void> {
  const admin = new Kafka({ clientId: 'chorus-bench', brokers: [...brokers], logLevel: 0 }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${prefix}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
