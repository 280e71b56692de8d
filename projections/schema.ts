// The one database as Kysely sees it. No file lists every table: each owner (the event store, the projection
// runtime, the HTTP layer, each context) declares its tables beside its migrations and adds them here by
// declaration merging (`declare module '.../projections/schema.js' { interface Schema { ... } }`).
import type { ColumnType } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by each table's owner
export interface Schema {}

/** int8 columns arrive as strings from pg and as numbers from PGlite: readers normalise with String()/Number(). */
export type Int8 = ColumnType<string | number, string | number | bigint, string | number | bigint>;
export type Json = ColumnType<unknown, string, string>;
