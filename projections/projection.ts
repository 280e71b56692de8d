import type { Transaction } from 'kysely';
import type { RecordedEvent } from '../application/ports/event-store.js';
import type { Schema } from './schema.js';

/** A read model: which events it reads, and how a batch of them changes its rows inside the runner's transaction. */
export type Projection = Readonly<{
  name: string;
  version: number;
  /** Stream categories it subscribes to. */
  categories: readonly string[];
  /** Event types it applies; others are read past. */
  handles: readonly string[];
  /** Gets only events it handles, each newer than what it has applied for its stream, in log order. */
  apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void>;
}>;
