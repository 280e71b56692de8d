// Replay: sends a selection of the log again to a target (Kafka, a projection, a JSONL file), batch by batch,
// throttled to a rate, reporting progress and acknowledging each batch the target holds so that a stopped replay
// resumes after the last acknowledged event instead of starting over.
import { Aborted, pauseUnlessAborted, yieldToEventLoop } from '../kernel/retry.js';
import type { EventSelection, EventStore, Position, ReadAllOptions, RecordedEvent } from '../ports/event-store.js';

/** What to replay: the store's selection, with both position bounds inclusive. */
export type ReplaySelection = Omit<EventSelection, 'to'> &
  Readonly<{
    fromPosition?: Position;
    toPosition?: Position;
  }>;

export interface ReplayTarget {
  /** Delivers a batch in log order; resolves once the target holds it (it is then acknowledged). May stop on `signal`. */
  send(events: readonly RecordedEvent[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export type ReplayProgress = Readonly<{
  /** Events acknowledged, counting those of earlier runs of a resumed replay. */
  processed: number;
  /** Events the selection held when this run started (plus those acknowledged before it). */
  total: number;
  /** Events per second over this run. */
  rate: number;
  etaSeconds: number | null;
  /** The last acknowledged event: a resumed replay continues after it. */
  lastPosition: Position | null;
}>;

export type ReplayOutcome = Readonly<{ status: 'completed' | 'cancelled'; progress: ReplayProgress }>;

export type ReplayOptions = Readonly<{
  store: EventStore;
  selection: ReplaySelection;
  target: ReplayTarget;
  /** Events per second at most; omitted: as fast as the target takes them. */
  rate?: number;
  batchSize?: number;
  /** Resuming: what earlier runs acknowledged. */
  resume?: Readonly<{ after: Position; processed: number }>;
  /** Stops between batches: the batch being sent is finished and acknowledged first. */
  signal: AbortSignal;
  /** Called after every acknowledged batch (and once before the first): persist it to resume from. */
  onProgress?: (progress: ReplayProgress) => Promise<void> | void;
}>;

const BATCH_SIZE = 500;
/** A throttled replay sends about this many batches a second, so that the rate holds smoothly. */
const THROTTLED_BATCHES_PER_SECOND = 4;

/** The store's read of a selection, optionally after an acknowledged position (a resumed replay). */
export function readOptionsOf(selection: ReplaySelection, after?: Position | null): ReadAllOptions {
  const { fromPosition, toPosition, ...rest } = selection;
  const from = after ?? fromPosition ?? null;
  return { ...rest, ...(toPosition === undefined ? {} : { to: toPosition }), from, includeFrom: after == null && fromPosition !== undefined };
}

/** What a dry run shows: how many events match, and the first and last of them. */
export type ReplayPreview = Readonly<{
  count: number;
  first: Readonly<{ position: Position; occurredAt: string }> | null;
  last: Readonly<{ position: Position; occurredAt: string }> | null;
}>;

/** Reads the selection once, keeping only its count and ends: constant memory whatever it holds. */
export async function previewReplay(store: EventStore, selection: ReplaySelection): Promise<ReplayPreview> {
  let count = 0;
  let first: RecordedEvent | null = null;
  let last: RecordedEvent | null = null;
  for await (const event of store.readAll(readOptionsOf(selection))) {
    count++;
    first ??= event;
    last = event;
  }
  const ends = (event: RecordedEvent | null) => (event === null ? null : { position: event.position, occurredAt: event.metadata.occurredAt });
  return { count, first: ends(first), last: ends(last) };
}

export async function replay(options: ReplayOptions): Promise<ReplayOutcome> {
  const { store, selection, target, rate, signal, onProgress, resume } = options;
  const read = readOptionsOf(selection, resume?.after);
  const before = resume?.processed ?? 0;
  const total = before + (await store.countEvents(read));
  const batchSize = rate === undefined ? (options.batchSize ?? BATCH_SIZE) : Math.max(1, Math.min(options.batchSize ?? BATCH_SIZE, Math.ceil(rate / THROTTLED_BATCHES_PER_SECOND)));
  const started = performance.now();
  let sent = 0;
  let lastPosition = resume?.after ?? null;
  const progress = (): ReplayProgress => {
    const seconds = (performance.now() - started) / 1000;
    const perSecond = seconds > 0 ? sent / seconds : 0;
    const left = Math.max(0, total - before - sent);
    return { processed: before + sent, total: Math.max(total, before + sent), rate: perSecond, etaSeconds: left === 0 ? 0 : perSecond > 0 ? left / perSecond : null, lastPosition };
  };
  await onProgress?.(progress());
  let batch: RecordedEvent[] = [];
  const flush = async (): Promise<void> => {
    await target.send(batch, signal);
    sent += batch.length;
    lastPosition = batch[batch.length - 1]!.position;
    batch = [];
    await onProgress?.(progress());
    await yieldToEventLoop();
    // The next batch waits until the events sent so far fit the rate.
    if (rate !== undefined) await pauseUnlessAborted(Math.max(0, (sent / rate) * 1000 - (performance.now() - started)), signal);
  };
  try {
    for await (const event of store.readAll(read)) {
      if (signal.aborted) break;
      batch.push(event);
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0 && !signal.aborted) await flush();
  } catch (error) {
    // A target that gave up waiting because the replay was stopped has acknowledged nothing of its batch.
    if (!(error instanceof Aborted && signal.aborted)) throw error;
  }
  return { status: signal.aborted ? 'cancelled' : 'completed', progress: progress() };
}
