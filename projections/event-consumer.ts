// Whatever reacts to the log (a projection, an enricher), independent of how events reach it: straight from
// the event store, or from Kafka. Progress says how far a batch took it, so it can record that atomically.
import type { Position, RecordedEvent } from '../application/ports/event-store.js';
import type { ConsumerHealth } from './consumer-health.js';

export type Progress =
  | Readonly<{ kind: 'checkpoint'; position: Position }>
  | Readonly<{ kind: 'offset'; topic: string; partition: number; offset: string }>;

export interface EventConsumer {
  /** Unique among consumers: `projection.feedback`, `enricher.feedback-triage`. Also names its Kafka group. */
  readonly name: string;
  readonly categories: readonly string[];
  /** Whether it makes progress; a consumer that keeps failing is reported stuck. */
  readonly health: ConsumerHealth;
  /** Prepares what it records progress in; called before the first batch. */
  start(): Promise<void>;
  /** Where a subscription to the event store resumes (exclusive); null: from the start. */
  resumeFrom(): Promise<Position | null>;
  /** Returns once the batch is done; throws only when the signal aborted it. */
  process(events: readonly RecordedEvent[], progress: Progress, signal: AbortSignal): Promise<void>;
}
