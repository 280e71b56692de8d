import type { Transaction } from 'kysely';
import type { RecordedEvent } from '../application/ports/event-store.js';
import type { Schema } from './schema.js';

/** A read model: which events it reads, and how a batch of them changes its rows inside the runner's transaction. */
export type Projection = Readonly<{
  name: string;
  /** Raise it when `apply` changes what rows it writes: the read model is then rebuilt (see projections/rebuild). */
  version: number;
  /** Stream categories it subscribes to. */
  categories: readonly string[];
  /** Event types it applies; others are read past. */
  handles: readonly string[];
  /**
   * The tables it writes, every one of them and nothing else: a rebuild builds copies of these beside the live ones
   * and swaps them in, and verify compares them. Each needs a primary key; `apply` names them unqualified.
   */
  tables: readonly string[];
  /**
   * The process role that keeps it: `projector` (the default) for read models, `enricher` for processors that react
   * to events (notifications), so that they scale and fail apart from the read models. Either way it is a projection:
   * rebuilt, verified, dead-lettered and awaited (X-Chorus-Min-Position) alike.
   */
  role?: 'projector' | 'enricher';
  /** Gets only events it handles, each newer than what it has applied for its stream, in log order. */
  apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void>;
}>;

/** Under which key projection_streams keeps the per-stream revisions of one build (generation) of a projection. */
export const streamsKeyOf = (name: string, generation: number): string => (generation === 0 ? name : `${name}#${generation}`);

/** Whether a process of these roles keeps the projection (see Projection.role). */
export const keptBy = (projection: Pick<Projection, 'role'>, roles: readonly string[]): boolean => roles.includes(projection.role ?? 'projector');
