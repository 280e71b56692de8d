// `chorus replay`: a selection of the log to Kafka, a projection or JSON Lines, with a dry run, a rate, progress,
// a clean stop on Ctrl-C and `--resume` from the state file.
import type { Command } from 'commander';
import { replay, previewReplay, type ReplayTarget } from '../../application/replay/replay.js';
import { ReplayRateSchema, ReplaySelectionSchema, replaySelectionOf, type ReplaySelectionInput } from '../../application/replay/replay-request.js';
import type { System } from '../../infrastructure/composition-root.js';
import { loadConfig } from '../../infrastructure/config.js';
import { openJsonlTarget, type JsonlReplayTarget } from '../../infrastructure/replay/jsonl-replay-target.js';
import { openKafkaReplayTarget } from '../../infrastructure/bus/kafka/kafka-replay-target.js';
import { projectionReplayTarget } from '../../projections/projection-replay-target.js';
import { UsageError, withSystem } from './cli-support.js';
import { describeProgress, progressDisplay } from './progress-display.js';
import { defaultStateFile, readReplayState, writeReplayState, type ReplayState, type ReplayTargetChoice } from './replay-state-file.js';

type ReplayFlags = {
  fromPosition?: string;
  toPosition?: string;
  since?: string;
  until?: string;
  stream: string[];
  category: string[];
  type: string[];
  toKafka?: string | true;
  toProjection?: string;
  toJsonl?: string;
  dryRun?: boolean;
  rate?: string;
  resume?: boolean;
  stateFile?: string;
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function replayCommand(program: Command): void {
  program
    .command('replay')
    .description('send a selection of the log again to Kafka, a projection or a JSON Lines file (position bounds inclusive)')
    .option('--from-position <position>', 'first position (inclusive)')
    .option('--to-position <position>', 'last position (inclusive)')
    .option('--since <time>', 'recorded at or after this ISO time')
    .option('--until <time>', 'recorded before this ISO time')
    .option('--stream <id>', 'only this stream (repeatable)', collect, [])
    .option('--category <name>', 'only this category (repeatable)', collect, [])
    .option('--type <name>', 'only this event type (repeatable)', collect, [])
    .option('--to-kafka [topic]', "re-publish as the relay does, to each event's context topic or to this topic")
    .option('--to-projection <name>', 're-apply through the projection runner (what is applied already is skipped)')
    .option('--to-jsonl <file>', 'one envelope per line to a file, or - for standard output')
    .option('--dry-run', 'print how many events match and their time span, send nothing')
    .option('--rate <events/s>', 'at most this many events a second')
    .option('--resume', 'continue the replay recorded in the state file after its last acknowledged event')
    .option('--state-file <path>', 'where the replay records its progress (default: replay-state.json in the data directory, else .chorus-replay.json here)')
    .action((flags: ReplayFlags) => runReplayCommand(flags));
}

async function runReplayCommand(flags: ReplayFlags): Promise<void> {
  const stateFile = flags.stateFile ?? defaultStateFile(loadConfig());
  const state = flags.resume === true ? await resumableState(flags, stateFile) : freshState(flags);
  let stopped = false;
  await withSystem(async (system) => {
    const selection = replaySelectionOf(state.selection, system.store);
    if (flags.dryRun === true) {
      const { count, first, last } = await previewReplay(system.store, selection);
      console.log(count === 0 ? 'No events match' : `${count} event(s) match, occurred ${first!.occurredAt} to ${last!.occurredAt} (positions ${first!.position} to ${last!.position})`);
      return;
    }
    const target = await openTarget(system, state);
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once('SIGINT', stop).once('SIGTERM', stop);
    const display = progressDisplay('replay', 'events');
    const save = (changes: Partial<ReplayState>) => writeReplayState(stateFile, (Object.assign(state, changes, { updatedAt: new Date().toISOString() }), state));
    try {
      const outcome = await replay({
        store: system.store,
        selection,
        target,
        ...(state.rate === undefined ? {} : { rate: state.rate }),
        ...(state.lastPosition === null ? {} : { resume: { after: state.lastPosition, processed: state.processed } }),
        signal: controller.signal,
        onProgress: async (progress) => {
          display.update({ done: progress.processed, total: progress.total, rate: progress.rate, etaSeconds: progress.etaSeconds, ...(progress.lastPosition ? { detail: `at ${progress.lastPosition}` } : {}) });
          await save({ status: 'running', lastPosition: progress.lastPosition, processed: progress.processed, ...bytesOf(target) });
        },
      });
      await save({ status: outcome.status });
      const { processed, total, lastPosition } = outcome.progress;
      if (outcome.status === 'completed') {
        display.stop(`replay completed: ${processed} event(s) sent${lastPosition === null ? '' : `, last position ${lastPosition}`}`);
        return;
      }
      display.stop(`replay stopped after ${processed} of ${total} event(s)${lastPosition === null ? '' : ` (last acknowledged position ${lastPosition})`}.\nResume with: chorus replay --resume${flags.stateFile === undefined ? '' : ` --state-file ${flags.stateFile}`}`);
      stopped = true;
    } catch (error) {
      await save({ status: 'failed' });
      display.stop(describeProgress('replay failed', 'events', { done: state.processed, total: state.processed, rate: 0, etaSeconds: null }));
      throw error;
    } finally {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      await target.close();
    }
  });
  // Only once the system is closed: closing PGlite sets the exit code of the process.
  if (stopped) process.exitCode = 130;
}

function freshState(flags: ReplayFlags): ReplayState {
  const input: ReplaySelectionInput = {
    ...(flags.fromPosition === undefined ? {} : { fromPosition: flags.fromPosition }),
    ...(flags.toPosition === undefined ? {} : { toPosition: flags.toPosition }),
    ...(flags.since === undefined ? {} : { since: flags.since }),
    ...(flags.until === undefined ? {} : { until: flags.until }),
    ...(flags.stream.length === 0 ? {} : { streams: flags.stream }),
    ...(flags.category.length === 0 ? {} : { categories: flags.category }),
    ...(flags.type.length === 0 ? {} : { types: flags.type }),
  };
  const selection = ReplaySelectionSchema.safeParse(input);
  if (!selection.success) throw new UsageError(`Invalid selection: ${selection.error.issues.map((issue) => `--${String(issue.path[0] ?? '')}: ${issue.message}`).join('; ')}`);
  const targets = [flags.toKafka, flags.toProjection, flags.toJsonl].filter((target) => target !== undefined);
  if (targets.length > 1) throw new UsageError('Choose one target: --to-kafka, --to-projection or --to-jsonl');
  if (targets.length === 0 && flags.dryRun !== true) throw new UsageError('Choose a target (--to-kafka [topic], --to-projection <name>, --to-jsonl <file|->) or --dry-run');
  const target: ReplayTargetChoice =
    flags.toProjection !== undefined
      ? { kind: 'projection', name: flags.toProjection }
      : flags.toJsonl !== undefined
        ? { kind: 'jsonl', destination: flags.toJsonl }
        : { kind: 'kafka', ...(typeof flags.toKafka === 'string' ? { topic: flags.toKafka } : {}) };
  let rate: number | undefined;
  if (flags.rate !== undefined) {
    const parsed = ReplayRateSchema.safeParse(Number(flags.rate));
    if (!parsed.success) throw new UsageError('--rate is a number of events per second above 0, at most 1000000');
    rate = parsed.data;
  }
  return { version: 1, selection: selection.data, target, ...(rate === undefined ? {} : { rate }), status: 'running', lastPosition: null, processed: 0, updatedAt: new Date().toISOString() };
}

async function resumableState(flags: ReplayFlags, stateFile: string): Promise<ReplayState> {
  const given = Object.entries(flags).filter(([name, value]) => !['resume', 'stateFile', 'dryRun'].includes(name) && value !== undefined && !(Array.isArray(value) && value.length === 0));
  if (given.length > 0) throw new UsageError('--resume continues with the arguments in the state file: give no selection, target or rate with it');
  const state = await readReplayState(stateFile);
  if (state === null) throw new UsageError(`No replay to resume: ${stateFile} does not exist`);
  if (state.status === 'completed') throw new UsageError(`The replay recorded in ${stateFile} completed: nothing to resume`);
  return state;
}

async function openTarget(system: System, state: ReplayState): Promise<ReplayTarget> {
  const { target } = state;
  switch (target.kind) {
    case 'jsonl':
      return openJsonlTarget(target.destination, state.lastPosition === null ? undefined : state.bytesWritten);
    case 'kafka':
      if (system.kafka === null) throw new UsageError('--to-kafka needs Kafka: set KAFKA_BROKERS');
      return openKafkaReplayTarget(system.kafka, system.topology, target.topic);
    case 'projection':
      return projectionReplayTarget(system.deadLetterConsumers, target.name);
  }
}

const bytesOf = (target: ReplayTarget): { bytesWritten?: number } =>
  'bytesWritten' in target ? { bytesWritten: (target as JsonlReplayTarget).bytesWritten } : {};
