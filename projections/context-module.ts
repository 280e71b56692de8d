// A bounded context declares itself once, in a module object that the rest of the system reads: the composition
// root, the relay (its stream categories name its Kafka topic), the projector and enricher roles, the migrator.
// Its HTTP routes join it in api/contexts.ts. Adding a context is new files plus one line in that list.
import type { Migration } from 'kysely';
import type { AnyAiIntent } from '../application/ai/intents.js';
import type { ProviderChain } from '../application/ai/provider-chain.js';
import type { Upcaster, Upcasting } from '../application/eventstore/upcasting.js';
import type { Clock } from '../application/ports/clock.js';
import type { EventStore } from '../application/ports/event-store.js';
import type { Ids } from '../application/ports/ids.js';
import type { Kysely } from 'kysely';
import type { Enricher } from './enricher.js';
import type { Projection } from './projection.js';
import type { AppliedPosition } from './projection-status.js';
import type { Schema } from './schema.js';

/** Settings of the contexts' enrichers, from the validated configuration. */
export type EnricherSettings = Readonly<{ draftsBucketWindow: number }>;

/**
 * What an enricher may use: it appends to the store (events of their current schema), asks the AI provider chain,
 * and may read the writer database's read models (to find what is due, or what to retrieve). `appliedPosition`
 * says how far a projection has applied the whole log on that database, so that an enricher reading a read model
 * can wait until it covers the event at hand.
 */
export type EnricherDependencies = Readonly<{
  store: EventStore;
  ids: Ids;
  clock: Clock;
  upcasting: Upcasting;
  ai: ProviderChain;
  db: Kysely<Schema>;
  appliedPosition: AppliedPosition;
  settings: EnricherSettings;
}>;

/** What a schedule may use: what an enricher may. */
export type ScheduleDependencies = EnricherDependencies;

/**
 * Work that falls due with time rather than with an event (a poll reaching its closesAt). Runs in the enricher role,
 * every `everyMs`; its effect is an append decided from the stream, so a second run, or a second process, adds nothing.
 */
export type Schedule = Readonly<{ name: string; everyMs: number; run(signal: AbortSignal): Promise<void> }>;

export type ContextModule = Readonly<{
  /** Also the Kafka topic of its events: `<prefix>.<name>`. */
  name: string;
  /** Stream categories it owns (`feedback` for `feedback-<id>`). */
  categories: readonly string[];
  /** Its own tables' migrations; names sort into one global order with every other owner's. */
  migrations: Readonly<Record<string, Migration>>;
  projections: readonly Projection[];
  /** Processors that react to its events by appending new ones (AI enrichments). */
  enrichers(deps: EnricherDependencies): readonly Enricher[];
  /** Timed work of the enricher role; omitted: none. */
  schedules?(deps: ScheduleDependencies): readonly Schedule[];
  /** How its events of older schemas read as the current ones; they also say which schema is current. */
  upcasters: readonly Upcaster[];
  /** What the AI orchestrator (POST /v1/ai/orchestrate) may run on demand for it; omitted: none. Names are unique across contexts. */
  intents?: readonly AnyAiIntent[];
}>;
