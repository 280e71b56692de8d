// `chorus replay` end to end: the command spawned from the sources against a database seeded once per file (a log
// of known streams, categories, types and recording times, and a feedback projection the projector applied), its
// output checked against the envelopes the store holds. Serial: the embedded data directory has one owner at a time.
import { upcasting } from '../support/upcasting.js';
import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { apiMigrations, contexts } from '../../api/contexts.js';
import { changeFeedbackStatus, submitFeedback } from '../../application/feedback/feedback-commands.js';
import type { Position, RecordedEvent } from '../../application/ports/event-store.js';
import { createKafka } from '../../infrastructure/bus/kafka/kafka.js';
import { fromMessage, toMessage } from '../../infrastructure/bus/kafka/kafka-messages.js';
import { openDatabase, openSystem, type System } from '../../infrastructure/composition-root.js';
import { loadConfig } from '../../infrastructure/config.js';
import type { Schema } from '../../projections/schema.js';
import { collect } from '../support/events.js';
import { TEST_JWT_SECRET } from '../support/http-specification.js';
import { consumeUntil, testTopicPrefix } from '../support/kafka.js';

export type Profile = Readonly<{
  name: string;
  /** Where the processes of this file keep their data: a data directory, or a new PostgreSQL database. */
  prepare(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;
  /** KAFKA_BROKERS, from serviceUrl: unset, the Kafka test is skipped with a notice. */
  brokers: string | undefined;
}>;

type Outcome = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

export function replayCliSuite(profile: Profile): void {
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);
  let env: Record<string, string> = {};
  let cleanup = async (): Promise<void> => undefined;
  let scratch = '';
  /** The whole log in order, as the store hands it out. */
  let log: RecordedEvent[] = [];
  /** Recorded before `boundary`: the first phase of the seed; the rest came after it. */
  let boundary = '';
  let firstPhaseEnd: Position = '';
  let comparePositions: System['store']['comparePositions'] = () => 0;
  let alpha = '';
  let storeId = '';
  let lastFeedbackPosition: Position = '';

  test.before(async () => {
    ({ env, cleanup } = await profile.prepare());
    scratch = await mkdtemp(path.join(tmpdir(), 'chorus-replay-'));
    const system = await openSystem(loadConfig({ CHORUS_JWT_SECRET: TEST_JWT_SECRET, CHORUS_POLL_INTERVAL_MS: '50', ...env }), pino({ level: 'silent' }), {
      roles: ['projector'],
      modules: contexts,
      migrations: apiMigrations,
    });
    try {
      const { store } = system;
      const deps = { store, ids: system.ids, clock: system.clock, snapshots: system.snapshots, upcasting: system.upcasting };
      const context = { correlationId: uuidv7(), causationId: null, actor: { sub: 'replay-test' } };
      const append = (streamId: string, types: readonly string[], expectedRevision: 'no_stream' | number) =>
        store.append(
          streamId,
          types.map((type, n) => ({ eventId: uuidv7(), type, data: { n }, metadata: { ...context, occurredAt: new Date().toISOString(), schema: 1 } })),
          { expectedRevision },
        );
      alpha = `alpha-${uuidv7()}`;
      await append(alpha, ['Pinged', 'Ponged', 'Pinged', 'Ponged'], 'no_stream');
      await append(`beta-${uuidv7()}`, ['Pinged', 'Noted', 'Pinged'], 'no_stream');
      const feedback = await submitFeedback(deps, { text: 'Export is broken', rating: 1, channel: null, appVersion: null, customerId: null }, context);
      await submitFeedback(deps, { text: 'Love the dashboard', rating: 5, channel: 'web', appVersion: null, customerId: null }, context);
      firstPhaseEnd = (await append(`alpha-${uuidv7()}`, ['Ponged', 'Ponged', 'Pinged'], 'no_stream')).position;
      await pause(50);
      boundary = new Date().toISOString();
      await pause(50);
      await append(`gamma-${uuidv7()}`, ['Pinged', 'Noted', 'Ponged'], 'no_stream');
      await append(alpha, ['Pinged', 'Ponged'], 3);
      lastFeedbackPosition = (await changeFeedbackStatus(deps, feedback.id, { status: 'in_progress', note: 'on it' }, context)).position!;
      log = await collect(store.readAll());
      comparePositions = (a, b) => store.comparePositions(a, b);
      storeId = system.topology.storeId;
      // The feedback projection applies the log as the projector does, before any replay reaches it.
      system.workers.start();
      const db = system.database.db;
      for (let attempt = 0; ; attempt++) {
        const row = await db.selectFrom('projections').select('checkpoint').where('name', '=', 'feedback').executeTakeFirst();
        if (row?.checkpoint != null && store.comparePositions(row.checkpoint, lastFeedbackPosition) >= 0) break;
        if (attempt > 1200) throw new Error('the feedback projection never caught up');
        await pause(50);
      }
    } finally {
      await system.close();
    }
  });
  test.after.always(async () => {
    await cleanup();
    if (scratch !== '') await rm(scratch, { recursive: true, force: true });
  });

  /** Starts `chorus <args>` from the sources on this file's data, without Kafka, Redis or replicas unless `extra` names them. */
  const start = (args: readonly string[], extra: Record<string, string> = {}): ChildProcess =>
    spawn(process.execPath, ['--import', 'tsx', 'api/cli/chorus.ts', ...args], {
      env: { ...process.env, DATABASE_URL: '', KAFKA_BROKERS: '', REDIS_URL: '', DATABASE_REPLICA_URLS: '', CHORUS_JWT_SECRET: TEST_JWT_SECRET, ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  async function finished(child: ChildProcess): Promise<Outcome> {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    return { code, signal, stdout, stderr };
  }
  const chorus = (args: readonly string[], extra?: Record<string, string>) => finished(start(args, extra));
  const file = (name: string) => path.join(scratch, name);
  const lines = (events: readonly RecordedEvent[]) => events.map((event) => `${JSON.stringify(event)}\n`).join('');
  const parsed = (jsonl: string): unknown[] => jsonl.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
  const firstPhase = (event: RecordedEvent) => comparePositions(event.position, firstPhaseEnd) <= 0;

  async function replayed(t: ExecutionContext, args: readonly string[], expected: readonly RecordedEvent[], what: string): Promise<void> {
    const outcome = await chorus(['replay', '--to-jsonl', '-', '--state-file', file('selected.json'), ...args]);
    t.is(outcome.code, 0, `${what}: ${outcome.stderr}`);
    t.true(expected.length > 0 && expected.length < log.length, `${what} selects some of the log, not all of it`);
    t.deepEqual(parsed(outcome.stdout), JSON.parse(JSON.stringify(expected)), what);
    t.regex(outcome.stderr, new RegExp(`replay completed: ${expected.length} event\\(s\\) sent`), what);
  }

  it('a dry run counts what matches and names its first and last event, sending nothing', async (t) => {
    const ponged = log.filter((event) => event.type === 'Ponged');
    const dryRun = async (args: readonly string[]) => {
      const outcome = await chorus(['replay', '--dry-run', ...args]);
      t.is(outcome.code, 0, outcome.stderr);
      return outcome.stdout;
    };
    const span = (events: readonly RecordedEvent[]) =>
      `${events.length} event(s) match, occurred ${events[0]!.metadata.occurredAt} to ${events.at(-1)!.metadata.occurredAt} (positions ${events[0]!.position} to ${events.at(-1)!.position})\n`;
    t.is(await dryRun([]), span(log));
    t.is(await dryRun(['--type', 'Ponged']), span(ponged));
  });

  it('position bounds are both inclusive', async (t) => {
    await replayed(t, ['--from-position', log[2]!.position, '--to-position', log[6]!.position], log.slice(2, 7), 'positions 2 to 6');
  });

  it('--since is inclusive and --until exclusive of the recorded time: one boundary splits the log in two', async (t) => {
    await replayed(t, ['--since', boundary], log.filter((event) => !firstPhase(event)), 'since the boundary');
    await replayed(t, ['--until', boundary], log.filter(firstPhase), 'until the boundary');
  });

  const category = (event: RecordedEvent) => event.streamId.split('-')[0]!;

  it('--stream selects one stream; --category repeats', async (t) => {
    await replayed(t, ['--stream', alpha], log.filter((event) => event.streamId === alpha), 'one stream');
    await replayed(t, ['--category', 'alpha', '--category', 'gamma'], log.filter((event) => ['alpha', 'gamma'].includes(category(event))), 'two categories');
  });

  it('--type repeats, and selectors narrow together', async (t) => {
    await replayed(t, ['--type', 'Noted', '--type', 'FeedbackSubmitted'], log.filter((event) => ['Noted', 'FeedbackSubmitted'].includes(event.type)), 'two types');
    await replayed(
      t,
      ['--category', 'alpha', '--category', 'beta', '--type', 'Pinged', '--until', boundary],
      log.filter((event) => ['alpha', 'beta'].includes(category(event)) && event.type === 'Pinged' && firstPhase(event)),
      'categories, a type and a time',
    );
  });

  it('--to-projection skips what the projection applied; it restores a row only when its stream revision is gone too', async (t) => {
    type Row = { id: string; status: string; rating: number; submitted_at: Date };
    // What the projection holds, then `change` to it. The embedded data directory has one owner at a time: the test
    // lets go of it while the command runs.
    const inspect = async (change?: (db: Kysely<Schema>) => Promise<unknown>) => {
      const database = await openDatabase(loadConfig({ CHORUS_JWT_SECRET: TEST_JWT_SECRET, ...env }), pino({ level: 'silent' }));
      try {
        const { db } = database;
        const state = {
          rows: (await sql<Row>`select * from feedback order by id`.execute(db)).rows,
          counts: Object.fromEntries((await sql<{ dimension: string; key: string; count: string }>`select * from feedback_counts`.execute(db)).rows.map((row) => [`${row.dimension}:${row.key}`, Number(row.count)])),
          revisions: (await sql`select * from projection_streams where projection = 'feedback' order by stream_id`.execute(db)).rows,
          checkpoint: (await sql<{ checkpoint: string }>`select checkpoint from projections where name = 'feedback'`.execute(db)).rows[0]!.checkpoint,
        };
        await change?.(db);
        return state;
      } finally {
        await database.close();
      }
    };
    const toProjection = async (what: string) => {
      const outcome = await chorus(['replay', '--to-projection', 'feedback', '--state-file', file('projected.json')]);
      t.is(outcome.code, 0, `${what}: ${outcome.stderr}`);
      t.regex(outcome.stderr, new RegExp(`replay completed: ${log.length} event\\(s\\) sent`), what);
    };
    const applied = await inspect();
    t.is(applied.rows.length, 2);
    t.is(applied.counts['status:in_progress'], 1);
    const lost = applied.rows.find((row) => row.status === 'in_progress')!;

    await toProjection('over an up-to-date projection');
    t.deepEqual(await inspect((db) => sql`delete from feedback where id = ${lost.id}`.execute(db)), applied, 'no row, total, stream revision or checkpoint moved');

    await toProjection('over a row deleted behind the projection');
    const kept = await inspect((db) => sql`delete from projection_streams where projection = 'feedback' and stream_id = ${`feedback-${lost.id}`}`.execute(db));
    t.deepEqual(kept, { ...applied, rows: applied.rows.filter((row) => row !== lost) }, 'its stream says it is applied: the row stays gone');

    await toProjection('over a row and its stream revision deleted');
    const restored = await inspect();
    t.deepEqual(restored.rows, applied.rows, 'the row is back as it was');
    t.deepEqual(restored.revisions, applied.revisions);
    t.is(restored.checkpoint, applied.checkpoint);
    // The totals never heard of the deletion, so the restored row counts twice: what a hand-made gap costs.
    const counted = { ...applied.counts };
    for (const key of ['status:in_progress', `rating:${lost.rating}`, `day:${lost.submitted_at.toISOString().slice(0, 10)}`]) counted[key] = counted[key]! + 1;
    t.deepEqual(restored.counts, counted);
  });

  it('resumed after kill -9 mid-replay, a JSON Lines file ends equal to an uninterrupted replay\'s', async (t) => {
    const whole = await chorus(['replay', '--to-jsonl', file('whole.jsonl'), '--state-file', file('whole.json')]);
    t.is(whole.code, 0, whole.stderr);
    const expected = await readFile(file('whole.jsonl'), 'utf8');
    t.is(expected, lines(log));

    const state = file('killed.json');
    const child = start(['replay', '--to-jsonl', file('killed.jsonl'), '--rate', '4', '--state-file', state]);
    let ended = false;
    const exited = finished(child).finally(() => (ended = true));
    let progress: { processed: number; status: string } | null = null;
    while (progress === null || progress.processed < 3) {
      if (ended) throw new Error(`the replay ended before it could be killed: ${(await exited).stderr}`);
      await pause(20);
      progress = await readFile(state, 'utf8').then((text) => JSON.parse(text) as { processed: number; status: string }, () => null);
    }
    child.kill('SIGKILL');
    t.is((await exited).signal, 'SIGKILL');
    const recorded = JSON.parse(await readFile(state, 'utf8')) as { processed: number; status: string; bytesWritten: number };
    t.is(recorded.status, 'running');
    t.true(recorded.processed < log.length, `killed after ${recorded.processed} of ${log.length}`);
    // As if the kill came between a batch's write and its record: bytes no state acknowledges.
    await appendFile(file('killed.jsonl'), '{"eventId":"half a line');

    const resumed = await chorus(['replay', '--resume', '--state-file', state]);
    t.is(resumed.code, 0, resumed.stderr);
    t.regex(resumed.stderr, new RegExp(`replay completed: ${log.length} event\\(s\\) sent`));
    t.is(await readFile(file('killed.jsonl'), 'utf8'), expected, 'no line twice, none missing');

    const again = await chorus(['replay', '--resume', '--state-file', state]);
    t.is(again.code, 2);
    t.is(again.stderr, `The replay recorded in ${state} completed: nothing to resume\n`);
  });

  it('Ctrl-C stops after the batch in hand, prints how to resume and exits 130; the resumed replay sends the rest', async (t) => {
    const state = file('interrupted.json');
    const child = start(['replay', '--to-jsonl', '-', '--rate', '4', '--state-file', state]);
    const exited = finished(child);
    let received = '';
    const interrupt = (chunk: Buffer): void => {
      received += chunk.toString('utf8');
      if (received.split('\n').length <= 3) return;
      child.stdout!.off('data', interrupt); // one Ctrl-C: a second one would end the process at once
      child.kill('SIGINT');
    };
    child.stdout!.on('data', interrupt);
    const interrupted = await exited;
    t.is(interrupted.code, 130, interrupted.stderr);
    t.regex(interrupted.stderr, new RegExp(`Resume with: chorus replay --resume --state-file ${state}\\n$`));
    const sent = parsed(interrupted.stdout).length;
    t.true(sent >= 3 && sent < log.length, `stopped after ${sent} of ${log.length}`);
    t.regex(interrupted.stderr, new RegExp(`replay stopped after ${sent} of ${log.length} event\\(s\\)`));

    const rest = await chorus(['replay', '--resume', '--state-file', state]);
    t.is(rest.code, 0, rest.stderr);
    t.is(interrupted.stdout + rest.stdout, lines(log));
  });

  /** Exit code 2 and one line on stderr (after the database's name, for a refusal once it is open). */
  const refused = async (t: ExecutionContext, [args, message]: [string[], string]) => {
    const outcome = await chorus(['replay', ...args]);
    t.is(outcome.code, 2, args.join(' '));
    t.is(outcome.stderr.replace(/^Database: .*\n/, ''), `${message}\n`, args.join(' '));
    t.is(outcome.stdout, '', args.join(' '));
  };

  it('wrong arguments stop with one line and exit code 2 before the database is opened', async (t) => {
    const stateFile = ['--state-file', file('none.json')];
    const beforeOpening: [string[], string][] = [
      [['--to-jsonl', '-', '--to-projection', 'feedback'], 'Choose one target: --to-kafka, --to-projection or --to-jsonl'],
      [['--category', 'alpha'], 'Choose a target (--to-kafka [topic], --to-projection <name>, --to-jsonl <file|->) or --dry-run'],
      [['--to-jsonl', '-', '--since', 'yesterday'], 'Invalid selection: --since: an ISO 8601 time with a zone, such as 2026-12-01T00:00:00Z'],
      [['--to-jsonl', '-', '--until', '0000-01-01T00:00:00Z'], 'Invalid selection: --until: a time in the years 1 to 9999 (UTC)'],
      [['--to-jsonl', '-', '--rate', 'fast'], '--rate is a number of events per second above 0, at most 1000000'],
      [['--resume', ...stateFile], `No replay to resume: ${file('none.json')} does not exist`],
      [['--resume', '--category', 'alpha', ...stateFile], '--resume continues with the arguments in the state file: give no selection, target or rate with it'],
    ];
    await Promise.all(beforeOpening.map((check) => refused(t, check)));
  });

  it('a position, projection or target this system does not have stops with one line and exit code 2', async (t) => {
    const projectionNames = contexts.flatMap((module) => module.projections.map((projection) => projection.name));
    // A fixed anchor: the names come from the same modules as the CLI's own list.
    for (const name of ['api-keys', 'audit', 'feedback', 'polls', 'drafts', 'crm-leads', 'diagrams']) t.true(projectionNames.includes(name), name);
    const onceOpen: [string[], string][] = [
      [['--to-jsonl', '-', '--from-position', 'the start'], 'fromPosition is not a position of this event store'],
      [['--to-jsonl', '-', '--from-position', log[5]!.position, '--to-position', log[4]!.position], 'fromPosition is after toPosition'],
      [['--to-projection', 'ghosts'], `No projection is called "ghosts": use ${projectionNames.join(', ')}`],
      [['--to-kafka'], '--to-kafka needs Kafka: set KAFKA_BROKERS'],
    ];
    // The embedded data directory has one owner at a time: one after the other.
    for (const check of onceOpen) await refused(t, check);
  });

  if (profile.brokers === undefined) return;
  const brokers = profile.brokers;

  it('--to-kafka sends each event as the relay does, to its context topic or to the topic named', async (t) => {
    const prefix = testTopicPrefix();
    const kafka = createKafka(brokers.split(','), 'replay-test', pino({ level: 'silent' }));
    const withKafka = { KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, KAFKA_TOPIC_PARTITIONS: '2' };
    const feedback = log.filter((event) => event.streamId.startsWith('feedback-'));
    const stateFile = ['--state-file', file('kafka.json')];
    const toContexts = await chorus(['replay', '--to-kafka', '--category', 'feedback', ...stateFile], withKafka);
    t.is(toContexts.code, 0, toContexts.stderr);
    const named = await chorus(['replay', '--to-kafka', `${prefix}.identity`, '--stream', alpha, ...stateFile], withKafka);
    t.is(named.code, 0, named.stderr);
    const noTopic = await chorus(['replay', '--to-kafka', '--stream', alpha, ...stateFile], withKafka);
    t.is(noTopic.code, 2);
    t.regex(noTopic.stderr, new RegExp(`No context owns the category of ${alpha}, so it has no topic: name the topic to replay it to\\n$`));

    const ofAlpha = log.filter((event) => event.streamId === alpha);
    for (const [topic, expected] of [[`${prefix}.feedback`, feedback], [`${prefix}.identity`, ofAlpha]] as const) {
      const received = await consumeUntil(kafka, [topic], (messages) => messages.length >= expected.length);
      t.is(received.length, expected.length, topic);
      // Per stream (one partition each), in log order, with the relay's key, value and headers.
      for (const event of expected) {
        // Found among the messages keyed by its stream: the key is the relay's too.
        const ofStream = received.filter(({ message }) => message.key?.toString() === event.streamId).map(({ message }) => message);
        const message = ofStream.find((candidate) => fromMessage(candidate, upcasting)?.eventId === event.eventId)!;
        const wanted = toMessage(event, storeId);
        t.is(message.value?.toString(), wanted.value as string, `${topic}: ${event.eventId}`);
        t.deepEqual(Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)])), wanted.headers, `${topic}: headers`);
      }
      for (const streamId of new Set(expected.map((event) => event.streamId))) {
        const order = received.filter(({ message }) => message.key?.toString() === streamId).map(({ message }) => fromMessage(message, upcasting)!.revision);
        t.deepEqual(order, [...order].sort((a, b) => a - b), `${streamId} in order`);
      }
    }
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
