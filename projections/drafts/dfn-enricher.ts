// The DFN enricher: on DraftIngested, retrieves past (draft, final note) pairs for the draft, asks the AI provider
// chain for the draft final note, and appends DfnGenerated to the draft's stream. The event id derives from the
// DraftIngested event, so a redelivery appends nothing (and, checked for the whole batch first, asks no provider).
// Retrieval waits until its read model has applied the draft's ingestion: the pairs a DFN learns from are those
// finalised before the draft arrived (at least), however far the projector lags, and a retry sees no fewer.
import { performance } from 'node:perf_hooks';
import { speakerStreamId, type DfnGenerated, type DraftIngested, type SpeakerCreated } from '../../domain/drafts/events.js';
import { AllProvidersFailed } from '../../application/ai/provider-chain.js';
import type { ChainedFinalNote, FinalNoteInput } from '../../application/drafts/final-note-task.js';
import type { Retriever } from '../../application/drafts/retriever.js';
import type { Upcasting } from '../../application/eventstore/upcasting.js';
import type { Clock } from '../../application/ports/clock.js';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import type { Ids } from '../../application/ports/ids.js';
import type { Kysely } from 'kysely';
import type { Enricher } from '../enricher.js';
import { awaitApplied, ReadModelBehind, type AppliedPosition } from '../projection-status.js';
import type { Schema } from '../schema.js';
import { draftsRetrievalProjection } from './retrieval-projection.js';

export const DRAFTS_DFN = 'enricher.drafts-dfn';
/** Pairs a DFN learns from: enough to see a speaker's habits recur, few enough to align each one. */
export const DFN_EXAMPLES = 8;

export type GenerateFinalNote = (input: FinalNoteInput, signal: AbortSignal) => Promise<ChainedFinalNote>;

export type DraftsDfnDependencies = Readonly<{
  store: EventStore;
  ids: Ids;
  clock: Clock;
  upcasting: Upcasting;
  /** Where the retriever reads, and how far its projection has applied the log there. */
  db: Kysely<Schema>;
  appliedPosition: AppliedPosition;
  retriever: Retriever;
  generate: GenerateFinalNote;
  examples?: number;
}>;

/**
 * The speaker's specialty as their stream's first event says; null for a speaker without one (or unknown). The
 * store upcasts what it reads (upcastingEventStore), so the event is at its current schema.
 */
async function specialtyOf(store: EventStore, speakerId: string): Promise<string | null> {
  for await (const event of store.readStream(speakerStreamId(speakerId))) {
    const first = event as unknown as SpeakerCreated;
    return first.type === 'SpeakerCreated' ? first.data.specialty : null;
  }
  return null;
}

export function draftsDfn(deps: DraftsDfnDependencies): Enricher {
  const { store, ids, clock, upcasting, retriever, generate, examples = DFN_EXAMPLES } = deps;
  const generatedId = (ingested: RecordedEvent): string => ids.fromName(`${DRAFTS_DFN}:${ingested.eventId}`);
  return {
    name: DRAFTS_DFN,
    categories: ['draft'],
    handles: ['DraftIngested'],
    isUnavailable: (error) => (error instanceof AllProvidersFailed && error.unavailable) || error instanceof ReadModelBehind,
    async enrichedAlready(events: readonly RecordedEvent[]): Promise<ReadonlySet<string>> {
      const sources = new Map(events.map((event) => [generatedId(event).toLowerCase(), event.eventId]));
      const stored = await store.storedEventIds(events.map((event) => ({ streamId: event.streamId, eventId: generatedId(event) })));
      return new Set([...stored].map((id) => sources.get(id)!));
    },
    async enrich(ingested: RecordedEvent, signal: AbortSignal): Promise<void> {
      const { draftId, speakerId, text } = (ingested as unknown as DraftIngested).data;
      const started = performance.now();
      await awaitApplied(deps, draftsRetrievalProjection, ingested.position, signal);
      const specialty = await specialtyOf(store, speakerId);
      const pairs = await retriever.retrieve({ draftId, speakerId, specialty, text, limit: examples });
      const note = await generate({ draft: text, examples: pairs.map(({ draftId: id, draft, finalNote }) => ({ draftId: id, draft, finalNote })) }, signal);
      const data: DfnGenerated['data'] = {
        draftId,
        speakerId,
        text: note.text,
        provider: note.provider,
        model: note.model,
        retrieved: pairs.map((pair) => pair.draftId),
        // Retrieval and generation: how long the note took to make, as the speaker waits for it.
        latencyMs: Math.round(performance.now() - started),
        generatedAt: clock.now().toISOString(),
      };
      await store.append(
        ingested.streamId,
        [
          {
            eventId: generatedId(ingested),
            type: 'DfnGenerated',
            data,
            metadata: {
              correlationId: ingested.metadata.correlationId,
              causationId: ingested.eventId,
              actor: { sub: DRAFTS_DFN, roles: ['agent'] },
              occurredAt: clock.now().toISOString(),
              schema: upcasting.currentSchema('DfnGenerated'),
            },
          },
        ],
        { expectedRevision: 'any' },
      );
    },
  };
}
