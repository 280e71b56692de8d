// The triage enricher: asks the AI provider chain what submitted feedback is about and how it feels, and
// appends the answer to the feedback's own stream as FeedbackCategorized. The event id is derived from the
// source event, so a redelivery appends nothing (and, checked first, costs no second AI call).
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { FeedbackSubmitted } from '../../domain/feedback/events.js';
import type { FeedbackAnalysis } from '../../application/ports/ai-provider.js';
import type { Clock } from '../../application/ports/clock.js';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import type { Ids } from '../../application/ports/ids.js';
import type { Schema } from '../../infrastructure/db/schema.js';
import { readCheckpoint, writeCheckpoint } from '../checkpoints.js';
import type { EventConsumer, Progress } from '../event-consumer.js';
import { pauseUnlessAborted } from '../projection-applier.js';

export type AnalyzeFeedback = (text: string, signal: AbortSignal) => Promise<FeedbackAnalysis & { provider: string }>;

export type FeedbackTriageDependencies = Readonly<{
  db: Kysely<Schema>;
  store: EventStore;
  analyze: AnalyzeFeedback;
  ids: Ids;
  clock: Clock;
  logger: Logger;
  retryMinMs: number;
  retryMaxMs: number;
}>;

export class FeedbackTriage implements EventConsumer {
  readonly name = 'enricher.feedback-triage';
  readonly categories = ['feedback'];

  constructor(private readonly deps: FeedbackTriageDependencies) {}

  async start(): Promise<void> {}

  resumeFrom(): Promise<string | null> {
    return readCheckpoint(this.deps.db, this.name);
  }

  async process(events: readonly RecordedEvent[], progress: Progress, signal: AbortSignal): Promise<void> {
    for (const event of events) {
      if (event.type === 'FeedbackSubmitted') await this.untilDone(() => this.triage(event, signal), event, signal);
    }
    if (progress.kind === 'checkpoint') await this.untilDone(() => writeCheckpoint(this.deps.db, this.name, progress.position), null, signal);
  }

  /** The chain always ends with the offline provider, so failures are transient: retry until done or stopped. */
  private async untilDone(work: () => Promise<void>, event: RecordedEvent | null, signal: AbortSignal): Promise<void> {
    for (let pause = this.deps.retryMinMs; ; pause = Math.min(pause * 2, this.deps.retryMaxMs)) {
      try {
        return await work();
      } catch (error) {
        if (signal.aborted) throw error;
        this.deps.logger.error({ consumer: this.name, eventId: event?.eventId, err: error }, 'triage failed; retrying');
        await pauseUnlessAborted(pause, signal);
      }
    }
  }

  private async triage(submitted: RecordedEvent, signal: AbortSignal): Promise<void> {
    const { ids, store, clock } = this.deps;
    const eventId = ids.fromName(`${this.name}:${submitted.eventId}`);
    for await (const existing of store.readStream(submitted.streamId)) if (existing.eventId === eventId) return;
    const { feedbackId, text } = (submitted as unknown as FeedbackSubmitted).data;
    const { category, sentiment, confidence, provider } = await this.deps.analyze(text, signal);
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
            actor: { sub: this.name, roles: ['agent'] },
            occurredAt: clock.now().toISOString(),
            schema: 1,
          },
        },
      ],
      { expectedRevision: 'any' },
    );
  }
}
