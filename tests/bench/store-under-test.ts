// What the event store benchmarks ask of a store, so that Chorus and Emmett run the very same rounds.
import type { NewEvent } from '../../application/ports/event-store.js';

/** Before a stream's first append 'no_stream'; after it, whatever the store's last append returned. */
export type ExpectedVersion = 'no_stream' | Readonly<{ next: bigint }>;

export interface StoreUnderTest {
  readonly name: 'Chorus' | 'Emmett';
  /** Appends to one stream, expecting it at `expected`; returns what the next append to it expects. */
  append(streamId: string, events: readonly NewEvent[], expected: ExpectedVersion): Promise<ExpectedVersion>;
  /** Reads the whole log from its start; returns how many events it read. */
  readAll(): Promise<number>;
  /**
   * Projects the log into an empty feedback read model until it has caught up or `deadline` (a
   * performance.now() time) has passed; returns how many events of the log it applied.
   */
  catchUpFeedback(deadline: number): Promise<number>;
  close(): Promise<void>;
}
