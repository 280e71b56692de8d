// The part of Emmett's API that the benchmark uses. Emmett lives in a package of its own (tests/bench/emmett/,
// installed by `npm run bench`), so these declarations let the type check pass whether or not it is installed.
// The shapes are those of Emmett 0.42.0's own declarations, narrowed to what the benchmark calls.

declare module '@event-driven-io/dumbo' {
  export type SQLExecutor = { readonly __brand: 'SQLExecutor' };
  /** A pool wrapper: Emmett's store, its readers and its consumers all take one. */
  export type Dumbo = Readonly<{ execute: SQLExecutor; close(): Promise<void> }>;
  /** Wraps a node-postgres pool, which stays the caller's to end. */
  export function dumbo(options: { connectionString: string; pool: unknown }): Dumbo;
}

declare module '@event-driven-io/emmett-postgresql' {
  import type { Dumbo, SQLExecutor } from '@event-driven-io/dumbo';

  export type EmmettEvent = Readonly<{ type: string; data: Record<string, unknown>; metadata?: Record<string, unknown> }>;
  export type ExpectedStreamVersion = bigint | 'STREAM_DOES_NOT_EXIST' | 'STREAM_EXISTS' | 'NO_CONCURRENCY_CHECK';
  export type ReadEvent = EmmettEvent & Readonly<{ metadata: Readonly<{ streamName: string; streamPosition: bigint; globalPosition: bigint }> }>;

  export interface PostgresEventStore {
    appendToStream(
      streamName: string,
      events: EmmettEvent[],
      options?: { expectedStreamVersion?: ExpectedStreamVersion },
    ): Promise<{ nextExpectedStreamVersion: bigint; lastEventGlobalPosition: bigint; createdNewStream: boolean }>;
    readStream(streamName: string): Promise<{ currentStreamVersion: bigint; events: ReadEvent[]; streamExists: boolean }>;
    close(): Promise<void>;
    schema: { migrate(): Promise<unknown> };
  }

  export function getPostgreSQLEventStore(connectionString: string, options?: { connectionOptions?: { dumbo: Dumbo } }): PostgresEventStore;

  export function readMessagesBatch(
    execute: SQLExecutor,
    options: { after: bigint; batchSize: number },
  ): Promise<{ currentGlobalPosition: bigint; messages: ReadEvent[]; areMessagesLeft: boolean }>;

  /** Opaque: made by pongoSingleStreamProjection, run by rebuildPostgreSQLProjections. */
  export type PostgreSQLProjectionDefinition = { readonly name?: string };

  export function pongoSingleStreamProjection<Document extends Record<string, unknown>>(options: {
    collectionName: string;
    canHandle: string[];
    getDocumentId?: (event: ReadEvent) => string;
    evolve: (document: Document | null, event: ReadEvent) => Document | null;
  }): PostgreSQLProjectionDefinition;

  export function rebuildPostgreSQLProjections(options: {
    connectionString: string;
    pool?: Dumbo;
    pulling?: { batchSize?: number; pullingFrequencyInMs?: number };
    projections: { projection: PostgreSQLProjectionDefinition; processorId: string }[];
  }): { start(): Promise<void>; close(): Promise<void> };
}
