// The lead summary enricher: after an activity is logged (or the lead's status changes, which changes its next
// action), asks the AI provider chain for a summary of the lead's latest activities, its next action and the
// prospect's sentiment, and appends LeadSummarized to the lead's stream. A lead without activities has no summary.
//
// Debounce, idempotent and crash-safe by reading the stream, not by timers or state of its own:
// - it summarises the lead as of the event it is handed, and does nothing when a later such event is in the stream:
//   of a burst, only the last is summarised, and its summary covers the whole burst (the earlier ones read only the
//   events after them, and neither wait nor read the whole stream);
// - before asking, it waits until the event is `quietMs` old (from when it was appended) and reads the stream again,
//   so that activities logged within that window of each other make one burst even when each reaches it alone;
// - the summary's event id derives from the triggering event's id: a redelivery, a retry or a second process appends
//   nothing, and enrichedAlready answers a redelivered batch without a provider call;
// - the append expects the revision it summarised: if the lead moved meanwhile, it reads again (a later activity or
//   status change ends it; an edit is summarised with it). A crash before the append leaves the event unconfirmed at
//   the consumer's checkpoint, so it comes again and the same steps run.
import { leadDecider } from '../../domain/crm/lead-commands.js';
import { leadStreamId, type ActivityLogged, type Lead, type LeadEvent } from '../../domain/crm/lead-events.js';
import { WrongExpectedRevision } from '../../domain/kernel/errors.js';
import { AllProvidersFailed } from '../../application/ai/provider-chain.js';
import { SUMMARY_ACTIVITIES, type ChainedLeadSummary, type SummarizeActivityInput } from '../../application/crm/lead-ai-tasks.js';
import type { Upcasting } from '../../application/eventstore/upcasting.js';
import { pauseUnlessAborted } from '../../application/kernel/retry.js';
import type { Clock } from '../../application/ports/clock.js';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import type { Ids } from '../../application/ports/ids.js';
import type { Enricher } from '../enricher.js';

export type SummarizeLead = (input: SummarizeActivityInput, signal: AbortSignal) => Promise<ChainedLeadSummary>;

export type LeadSummaryDependencies = Readonly<{
  store: EventStore;
  summarize: SummarizeLead;
  ids: Ids;
  clock: Clock;
  upcasting: Upcasting;
  /** How long after an activity (or status change), with no later one, its summary is asked for: the debounce window. */
  quietMs: number;
  /** Waits; a test may pass one that records the waits instead. */
  pause?: (ms: number, signal: AbortSignal) => Promise<void>;
}>;

export const LEAD_SUMMARY = 'enricher.crm-lead-summary';

/** The default debounce window: activities logged less than this apart make one summary. */
export const LEAD_SUMMARY_QUIET_MS = 1500;

/** Appends that find the lead moved before giving up to the enricher's retry. */
const ATTEMPTS = 5;

/** What a summary is regenerated after. */
const TRIGGERS: readonly LeadEvent['type'][] = ['ActivityLogged', 'LeadStatusChanged'];

type LeadAsOf = Readonly<{ lead: Lead; activities: ActivityLogged['data'][]; revision: number; laterTrigger: boolean }>;

async function readLead(store: EventStore, streamId: string, sourceRevision: number): Promise<LeadAsOf> {
  let lead = leadDecider.initialState();
  let revision = -1;
  let laterTrigger = false;
  const activities: ActivityLogged['data'][] = [];
  for await (const recorded of store.readStream(streamId)) {
    const event = recorded as unknown as LeadEvent;
    lead = leadDecider.evolve(lead, event);
    revision = recorded.revision;
    if (recorded.revision > sourceRevision && TRIGGERS.includes(event.type)) laterTrigger = true;
    if (event.type === 'ActivityLogged') activities.push(event.data);
  }
  return { lead, activities, revision, laterTrigger };
}

/** Whether a trigger follows `revision` in the stream: reads only the events after it. */
async function laterTriggerIn(store: EventStore, streamId: string, revision: number): Promise<boolean> {
  for await (const recorded of store.readStream(streamId, { from: revision + 1 })) if (TRIGGERS.includes(recorded.type as LeadEvent['type'])) return true;
  return false;
}

/** The task's input: the lead as it stands and its latest activities, oldest first by when they happened. */
export function summaryInputOf(lead: Exclude<Lead, { status: 'initial' }>, activities: readonly ActivityLogged['data'][]): SummarizeActivityInput {
  const latest = activities
    .map((activity, order) => ({ activity, order }))
    .sort((a, b) => a.activity.occurredAt.localeCompare(b.activity.occurredAt) || a.order - b.order)
    .slice(-SUMMARY_ACTIVITIES)
    .map(({ activity: { kind, text, occurredAt } }) => ({ kind, text, occurredAt }));
  const { name, company, valueCents } = lead.details;
  return { lead: { name, company, status: lead.status, value: valueCents === null ? null : valueCents / 100 }, activities: latest };
}

export function leadSummary({ store, summarize, ids, clock, upcasting, quietMs, pause = pauseUnlessAborted }: LeadSummaryDependencies): Enricher {
  const summaryId = (trigger: RecordedEvent): string => ids.fromName(`${LEAD_SUMMARY}:${trigger.eventId}`);
  return {
    name: LEAD_SUMMARY,
    categories: ['lead'],
    handles: TRIGGERS,
    isUnavailable: (error) => error instanceof AllProvidersFailed && error.unavailable,
    async enrichedAlready(events: readonly RecordedEvent[]): Promise<ReadonlySet<string>> {
      const sources = new Map(events.map((event) => [summaryId(event).toLowerCase(), event.eventId]));
      const stored = await store.storedEventIds(events.map((event) => ({ streamId: event.streamId, eventId: summaryId(event) })));
      return new Set([...stored].map((id) => sources.get(id)!));
    },
    async enrich(trigger: RecordedEvent, signal: AbortSignal): Promise<void> {
      const { leadId } = (trigger as unknown as Extract<LeadEvent, { type: (typeof TRIGGERS)[number] }>).data;
      const streamId = leadStreamId(leadId);
      for (let attempt = 1; ; attempt++) {
        // Of a burst already in the stream, the earlier events end here: no wait, and no read of the whole stream.
        if (await laterTriggerIn(store, streamId, trigger.revision)) return;
        const wait = quietMs - (clock.now().getTime() - Date.parse(trigger.metadata.occurredAt));
        if (wait > 0) {
          await pause(wait, signal);
          signal.throwIfAborted();
        }
        const { lead, activities, revision, laterTrigger } = await readLead(store, streamId, trigger.revision);
        // The later event's summary covers this one; and there is nothing to summarise before a first activity.
        if (laterTrigger || lead.status === 'initial' || activities.length === 0) return;
        const asOfActivityId = activities[activities.length - 1]!.activityId;
        const { summary, nextAction, sentiment, provider } = await summarize(summaryInputOf(lead, activities), signal);
        try {
          await store.append(
            streamId,
            [
              {
                eventId: summaryId(trigger),
                type: 'LeadSummarized',
                data: { leadId, summary, nextAction, sentiment, provider, asOfActivityId, summarizedAt: clock.now().toISOString() },
                metadata: {
                  correlationId: trigger.metadata.correlationId,
                  causationId: trigger.eventId,
                  actor: { sub: LEAD_SUMMARY, roles: ['agent'] },
                  occurredAt: clock.now().toISOString(),
                  schema: upcasting.currentSchema('LeadSummarized'),
                },
              },
            ],
            { expectedRevision: revision },
          );
          return;
        } catch (error) {
          if (!(error instanceof WrongExpectedRevision) || attempt >= ATTEMPTS) throw error;
          // The lead moved: read it again. An append of this very summary by another process is found stored
          // there (its derived id), and the store answers that append as a no-op.
          if ((await store.storedEventIds([{ streamId, eventId: summaryId(trigger) }])).size > 0) return;
        }
      }
    },
  };
}
