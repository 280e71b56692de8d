import type { Position } from './event-store.js';

/** A stream's state as of `revision`, folded by a decider whose snapshot schema was `schema`. */
export type Snapshot = Readonly<{ streamId: string; revision: number; position: Position; schema: number; state: unknown }>;

/**
 * Snapshots of long streams, kept beside the event store. An optimisation only: a lost, stale or failed snapshot
 * costs a longer read, never a wrong state (a snapshot of another schema is ignored).
 */
export interface SnapshotStore {
  load(streamId: string): Promise<Snapshot | null>;
  /** Keeps the snapshot unless a newer one of the stream is kept already. */
  save(snapshot: Snapshot): Promise<void>;
}
