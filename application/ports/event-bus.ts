// The consumer side of the fan-out: what delivers the global log to a subscriber (a projection, an enricher) in
// batches, whether straight from the event store in this process or through Kafka. Every adapter passes one
// contract suite (tests/bus/event-bus-contract.ts).
import type { Position, RecordedEvent } from './event-store.js';

/** How far a batch took the subscriber, for it to record with the batch's effects. */
export type Progress = Readonly<{ kind: 'checkpoint'; position: Position }> | Readonly<{ kind: 'offsets'; partitions: readonly PartitionProgress[] }>;

/** How far a batch took one Kafka partition: a batch gathers the slices of every partition one fetch brought. */
export type PartitionProgress = Readonly<{
  topic: string;
  partition: number;
  /** The last offset of the partition the batch covers. */
  offset: string;
  /**
   * The newest relay watermark of the partition in the batch: once the batch is applied, so is every event up to
   * this position that the partition carries. Absent when the batch holds none.
   */
  watermark?: Position;
}>;

export interface EventSubscriber {
  /** Unique among subscribers: `projection.feedback`, `enricher.feedback-triage`. Also names its Kafka group. */
  readonly name: string;
  readonly categories: readonly string[];
  /** Prepares what it records progress in; called before the first batch. */
  start(): Promise<void>;
  /** Where a subscription to the event store resumes (exclusive); null: from the start. */
  resumeFrom(): Promise<Position | null>;
  /**
   * The last Kafka offset of this partition it recorded with its effects, for subscribers that record offsets: a
   * broker that redelivers up to there (a crash between the subscriber's commit and the broker's) hands it nothing twice.
   */
  recordedOffset?(topic: string, partition: number): Promise<string | null>;
  /**
   * Records relay watermarks with its effects (to tell how far it has applied the whole log): batches that hold
   * only watermarks are handed over too. Others never see a batch without events.
   */
  readonly recordsWatermarks?: boolean;
  /** Returns once the batch is done; throws only when the signal aborted it. */
  process(events: readonly RecordedEvent[], progress: Progress, signal: AbortSignal): Promise<void>;
}

export interface EventBus {
  /**
   * Delivers the subscriber's categories from where it left off, in batches (each stream in its order), until the
   * signal aborts; the batch in hand when it does is finished first. Throws when the transport fails, to be run again.
   */
  run(subscriber: EventSubscriber, signal: AbortSignal): Promise<void>;
}
