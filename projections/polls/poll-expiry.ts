// Closes polls at their closesAt: appends PollClosed { reason: 'expired', closedBy: null, closedAt: closesAt } so
// that what reacts to closes (notifications) hears of it. Votes after closesAt are refused without it (the vote
// decider reads the time); this only records it. The read model says which polls may be due, the poll's own
// stream decides: a poll closed already gets nothing, and two processes racing append one event between them.
import { expirePoll } from '../../application/polls/poll-commands.js';
import type { Schedule, ScheduleDependencies } from '../context-module.js';

export const POLL_EXPIRY = 'schedule.poll-expiry';

/** Polls closed per run at most; the rest wait for the next run. */
const PER_RUN = 100;

/** Expires the polls the read model shows open past their closesAt; returns how many it closed. */
export async function expireDuePolls(deps: ScheduleDependencies, signal?: AbortSignal): Promise<number> {
  const due = await deps.db
    .selectFrom('polls')
    .select('id')
    .where('status', '=', 'open')
    .where('closes_at', '<=', deps.clock.now())
    .orderBy('closes_at')
    .limit(PER_RUN)
    .execute();
  let closed = 0;
  for (const { id } of due) {
    if (signal?.aborted === true) break;
    const result = await expirePoll(deps, id, { correlationId: deps.ids.next(), causationId: null, actor: { sub: POLL_EXPIRY, roles: [] } });
    if (result.closed) closed++;
  }
  return closed;
}

export const pollExpiry = (deps: ScheduleDependencies, everyMs = 1000): Schedule => ({
  name: POLL_EXPIRY,
  everyMs,
  run: async (signal) => {
    await expireDuePolls(deps, signal);
  },
});
