// The triage enricher: asks the AI provider chain what submitted feedback is about and how it feels, and
// appends the answer to the feedback's own stream as FeedbackCategorized. The event id is derived from the
// source event, so a redelivery appends nothing (and, checked for the whole batch first, costs no second AI call).
import type { FeedbackSubmitted } from '../../domain/feedback/events.js';
import { AllProvidersFailed } from '../../application/ai/provider-chain.js';
import type { ChainedAnalysis } from '../../application/feedback/feedback-triage-task.js';
import type { Upcasting } from '../../application/eventstore/upcasting.js';
import type { Clock } from '../../application/ports/clock.js';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import type { Ids } from '../../application/ports/ids.js';
import type { Enricher } from '../enricher.js';

export type AnalyzeFeedback = (text: string, signal: AbortSignal) => Promise<ChainedAnalysis>;

export type FeedbackTriageDependencies = Readonly<{ store: EventStore; analyze: AnalyzeFeedback; ids: Ids; clock: Clock; upcasting: Upcasting }>;

export const FEEDBACK_TRIAGE = 'enricher.feedback-triage';

export function feedbackTriage({ store, analyze, ids, clock, upcasting }: FeedbackTriageDependencies): Enricher {
  const categorizedId = (submitted: RecordedEvent): string => ids.fromName(`${FEEDBACK_TRIAGE}:${submitted.eventId}`);
  return {
    name: FEEDBACK_TRIAGE,
    categories: ['feedback'],
    handles: ['FeedbackSubmitted'],
    isUnavailable: (error) => error instanceof AllProvidersFailed && error.unavailable,
    async enrichedAlready(events: readonly RecordedEvent[]): Promise<ReadonlySet<string>> {
      const sources = new Map(events.map((event) => [categorizedId(event).toLowerCase(), event.eventId]));
      const stored = await store.storedEventIds(events.map((event) => ({ streamId: event.streamId, eventId: categorizedId(event) })));
      return new Set([...stored].map((id) => sources.get(id)!));
    },
    async enrich(submitted: RecordedEvent, signal: AbortSignal): Promise<void> {
      const eventId = categorizedId(submitted);
      const { feedbackId, text } = (submitted as unknown as FeedbackSubmitted).data;
      const { category, sentiment, confidence, provider } = await analyze(text, signal);
      await store.append(
        submitted.streamId,
        [
          {
            eventId,
            type: 'FeedbackCategorized',
            data: { feedbackId, category, sentiment, confidence, provider },
            metadata: {
              correlationId: submitted.metadata.correlationId,
              causationId: submitted.eventId,
              actor: { sub: FEEDBACK_TRIAGE, roles: ['agent'] },
              occurredAt: clock.now().toISOString(),
              schema: upcasting.currentSchema('FeedbackCategorized'),
            },
          },
        ],
        { expectedRevision: 'any' },
      );
    },
  };
}
