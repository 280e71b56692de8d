// Records auto-heal attempts as events and reads them back: history and stats come from the log, so they survive
// restarts and are the same in every process. Attempts are rare (a restart at most every few seconds per worker,
// with backoff), so reading the category from its index and folding in memory stays cheap.
import { AUTOHEAL_CATEGORY, autohealStats, autohealStreamId, type AutoHealAttempted, type AutohealAttempt, type AutohealStats } from '../../domain/ops/autoheal-events.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore, Position } from '../ports/event-store.js';
import type { Ids } from '../ports/ids.js';

export type AutohealRecorder = Readonly<{ store: EventStore; ids: Ids; clock: Clock }>;

/** The actor of events the supervisor appends. */
export const SUPERVISOR_ACTOR = Object.freeze({ sub: 'system:autoheal', roles: ['operator'] });

export async function recordAutohealAttempt({ store, ids, clock }: AutohealRecorder, data: AutoHealAttempted['data']): Promise<{ id: string; position: Position }> {
  const id = ids.next();
  const event: AutoHealAttempted = { type: 'AutoHealAttempted', data };
  const { position } = await store.append(
    autohealStreamId(id),
    [{ eventId: id, type: event.type, data: event.data, metadata: { correlationId: id, causationId: null, actor: SUPERVISOR_ACTOR, occurredAt: clock.now().toISOString(), schema: 1 } }],
    // A new stream per attempt: the optimistic check is that nothing was there.
    { expectedRevision: 'no_stream' },
  );
  return { id, position };
}

/** Every attempt, oldest first. */
export async function readAutohealAttempts(store: EventStore): Promise<AutohealAttempt[]> {
  const attempts: AutohealAttempt[] = [];
  for await (const event of store.readAll({ categories: [AUTOHEAL_CATEGORY], types: ['AutoHealAttempted'] })) {
    const data = event.data as AutoHealAttempted['data'];
    attempts.push({ ...data, id: event.eventId, at: event.metadata.occurredAt });
  }
  return attempts;
}

export async function autohealHistory(store: EventStore, limit: number): Promise<AutohealAttempt[]> {
  return (await readAutohealAttempts(store)).reverse().slice(0, limit);
}

export async function autohealStatsOf(store: EventStore): Promise<AutohealStats> {
  return autohealStats(await readAutohealAttempts(store));
}
