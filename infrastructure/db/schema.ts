// The Kysely view of every table. int8 columns arrive as strings from pg and as numbers from PGlite,
// so code that reads them normalises with String()/Number(); positions are selected as text.
import type { ColumnType, Generated } from 'kysely';
import type { FeedbackCountsTable, FeedbackTable } from '../../projections/feedback/feedback-table.js';

type Int8 = ColumnType<string | number, string | number | bigint, string | number | bigint>;
type Json = ColumnType<unknown, string, string>;

export interface EventsTable {
  position: Int8;
  event_id: string;
  stream_id: string;
  category: string;
  revision: Int8;
  type: string;
  data: Json;
  metadata: Json;
  recorded_at: Generated<Date>;
}

export interface StreamsTable {
  stream_id: string;
  revision: Int8;
}

export interface ProjectionsTable {
  name: string;
  version: number;
  checkpoint: string | null;
  last_error: string | null;
  last_error_at: Date | null;
  updated_at: Date;
  applied_batches: ColumnType<string | number, string | number | bigint | undefined, string | number | bigint>;
}

export interface CheckpointsTable {
  name: string;
  position: string;
  updated_at: Generated<Date>;
}

export interface ProjectionOffsetsTable {
  projection: string;
  topic: string;
  partition: number;
  offset: Int8;
  updated_at: Generated<Date>;
}

export type DeadLetterStatus = 'open' | 'resolved' | 'discarded';

export interface DeadLettersTable {
  id: ColumnType<string | number, undefined, never>;
  /** `projection.<name>` or `enricher.<name>`. */
  consumer: string;
  event_id: string;
  stream_id: string;
  revision: Int8;
  position: string;
  event: Json;
  error: string;
  attempts: number;
  status: DeadLetterStatus;
  first_failed_at: Date;
  last_failed_at: Date;
  resolved_at: Date | null;
}

export interface ProjectionStreamsTable {
  projection: string;
  stream_id: string;
  revision: Int8;
}

export interface InstanceTable {
  id: Generated<string>;
  created_at: Generated<Date>;
}

export interface IdempotencyKeysTable {
  key: string;
  fingerprint: string;
  status: number | null;
  response: ColumnType<unknown, string | null, string | null>;
  /** When the key was first claimed: its expiry, and the time part of the ids its request mints. */
  created_at: Generated<Date>;
  /** Who holds the claim now; null once the response is stored. */
  claim_id: string | null;
  /** A claim whose request has not finished by then may be taken over by a retry; null once the response is stored. */
  lease_until: Date | null;
}

export interface Schema {
  idempotency_keys: IdempotencyKeysTable;
  instance: InstanceTable;
  events: EventsTable;
  streams: StreamsTable;
  projections: ProjectionsTable;
  projection_streams: ProjectionStreamsTable;
  feedback: FeedbackTable;
  feedback_counts: FeedbackCountsTable;
  checkpoints: CheckpointsTable;
  projection_offsets: ProjectionOffsetsTable;
  dead_letters: DeadLettersTable;
}
