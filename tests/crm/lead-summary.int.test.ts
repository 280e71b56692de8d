// The lead summary enricher: of a burst of activities only the last is summarised, however they are delivered;
// a redelivery appends nothing and asks no provider; the debounce waits out the quiet window and reads again; a
// lead that moved between the read and the append is read again.
import test from 'ava';
import { pino } from 'pino';
import { changeLeadStatus, createLead, logActivity } from '../../application/crm/lead-commands.js';
import type { SummarizeActivityInput } from '../../application/crm/lead-ai-tasks.js';
import type { EventStore, RecordedEvent } from '../../application/ports/event-store.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { EnricherConsumer } from '../../projections/enricher.js';
import { leadSummary, type SummarizeLead } from '../../projections/crm/lead-summary.js';
import type { Clock } from '../../application/ports/clock.js';
import type { Progress } from '../../application/ports/event-bus.js';
import { collect } from '../support/events.js';
import { embeddedTestDatabase, type TestDatabase } from '../support/databases.js';
import { upcasting } from '../support/upcasting.js';

const context = { correlationId: 'summary-test', causationId: null, actor: { sub: 'agent-1', roles: ['agent' as const] } };
let testDb: TestDatabase;
let store: EventStore;

test.before(async () => {
  testDb = await embeddedTestDatabase();
  store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
});
test.after.always(() => testDb?.drop());

const deps = () => ({ store, ids: uuidV7Ids, clock: systemClock, upcasting });

/** A summariser that records what it was asked and answers from it. */
function recordingSummarizer(): { asked: SummarizeActivityInput[]; summarize: SummarizeLead } {
  const asked: SummarizeActivityInput[] = [];
  return {
    asked,
    summarize: async (input) => {
      asked.push(input);
      return { summary: `${input.activities.length} activities`, nextAction: 'Call back', sentiment: 'neutral', provider: 'fake' };
    },
  };
}

function consumer(summarize: SummarizeLead, options: { quietMs?: number; clock?: Clock; pause?: (ms: number) => Promise<void> } = {}): EnricherConsumer {
  const enricher = leadSummary({ ...deps(), clock: options.clock ?? systemClock, summarize, quietMs: options.quietMs ?? 0, ...(options.pause === undefined ? {} : { pause: options.pause }) });
  return new EnricherConsumer(testDb.database.db, enricher, pino({ level: 'silent' }), { maxAttempts: 3, retryMinMs: 1, retryMaxMs: 5, isTransient: () => false });
}

async function leadWithActivities(texts: readonly string[]): Promise<{ streamId: string; activities: RecordedEvent[] }> {
  const { id } = await createLead(deps(), { name: 'Ada', email: null, phone: null, company: null, source: null, valueCents: null }, context);
  for (const text of texts) await logActivity(deps(), id, { kind: 'call', text, occurredAt: null }, context);
  const events = await collect(store.readStream(`lead-${id}`));
  return { streamId: `lead-${id}`, activities: events.filter((event) => event.type === 'ActivityLogged') };
}

const summariesOf = async (streamId: string) => (await collect(store.readStream(streamId))).filter((event) => event.type === 'LeadSummarized');
const signal = () => new AbortController().signal;
/** Progress that writes no checkpoint: these tests look at the stream only. */
const noCheckpoint: Progress = { kind: 'offsets', partitions: [] };

test('a burst delivered in one batch yields one summary, as of the last activity, covering them all', async (t) => {
  const { asked, summarize } = recordingSummarizer();
  const { streamId, activities } = await leadWithActivities(['First call', 'Second call', 'Third call']);
  await consumer(summarize).process(activities, noCheckpoint, signal());
  const summaries = await summariesOf(streamId);
  t.is(summaries.length, 1);
  t.like(summaries[0]!.data, { asOfActivityId: (activities[2]!.data as { activityId: string }).activityId, summary: '3 activities', provider: 'fake' });
  t.is(asked.length, 1, 'the provider was asked once');
  t.deepEqual(asked[0]!.activities.map((a) => a.text), ['First call', 'Second call', 'Third call']);
});

test('a burst delivered one event at a time, in any batches, yields one summary too', async (t) => {
  const { asked, summarize } = recordingSummarizer();
  const { streamId, activities } = await leadWithActivities(['One', 'Two']);
  const enricher = consumer(summarize);
  for (const activity of activities) await enricher.process([activity], noCheckpoint, signal());
  t.is((await summariesOf(streamId)).length, 1);
  t.is(asked.length, 1);
});

test('a redelivered activity appends nothing and asks no provider', async (t) => {
  const { asked, summarize } = recordingSummarizer();
  const { streamId, activities } = await leadWithActivities(['Only one']);
  const enricher = consumer(summarize);
  await enricher.process(activities, noCheckpoint, signal());
  await enricher.process(activities, noCheckpoint, signal());
  await enricher.redeliver(activities);
  t.is((await summariesOf(streamId)).length, 1);
  t.is(asked.length, 1);
});

test('an activity after a summary gets a summary of its own, of every activity so far', async (t) => {
  const { asked, summarize } = recordingSummarizer();
  const { streamId, activities } = await leadWithActivities(['Before']);
  const enricher = consumer(summarize);
  await enricher.process(activities, noCheckpoint, signal());
  const lead = streamId.slice('lead-'.length);
  await logActivity(deps(), lead, { kind: 'email', text: 'After', occurredAt: null }, context);
  const later = (await collect(store.readStream(streamId))).filter((event) => event.type === 'ActivityLogged').slice(1);
  await enricher.process(later, noCheckpoint, signal());
  t.is((await summariesOf(streamId)).length, 2);
  t.deepEqual(asked[1]!.activities.map((a) => a.text), ['Before', 'After']);
});

test('a status change after the activities is summarised with them, as the lead now stands; a lead without activities has no summary', async (t) => {
  const { asked, summarize } = recordingSummarizer();
  const { streamId, activities } = await leadWithActivities(['Signed the order form']);
  const lead = streamId.slice('lead-'.length);
  for (const status of ['contacted', 'qualified', 'won'] as const) await changeLeadStatus(deps(), lead, { status, reason: null }, context);
  const triggers = (await collect(store.readStream(streamId))).filter((event) => event.type === 'ActivityLogged' || event.type === 'LeadStatusChanged');
  await consumer(summarize).process(triggers, noCheckpoint, signal());
  const summaries = await summariesOf(streamId);
  t.is(summaries.length, 1);
  t.like(summaries[0]!.data, { asOfActivityId: (activities[0]!.data as { activityId: string }).activityId });
  t.is(asked[0]!.lead.status, 'won');

  const bare = await leadWithActivities([]);
  await changeLeadStatus(deps(), bare.streamId.slice('lead-'.length), { status: 'lost', reason: null }, context);
  const moved = (await collect(store.readStream(bare.streamId))).filter((event) => event.type === 'LeadStatusChanged');
  await consumer(summarize).process(moved, noCheckpoint, signal());
  t.is((await summariesOf(bare.streamId)).length, 0);
  t.is(asked.length, 1);
});

test('the debounce waits until the activity is quietMs old, then reads the stream again: an activity logged meanwhile takes over', async (t) => {
  const { asked, summarize } = recordingSummarizer();
  const { streamId, activities } = await leadWithActivities(['Early']);
  const loggedAt = Date.parse((activities[0]!.data as { loggedAt: string }).loggedAt);
  let now = loggedAt + 200;
  const clock: Clock = { now: () => new Date(now) };
  const waits: number[] = [];
  const lead = streamId.slice('lead-'.length);
  const enricher = consumer(summarize, {
    quietMs: 1000,
    clock,
    // While it waits, the agent logs another activity; then the window has passed.
    pause: async (ms) => {
      waits.push(ms);
      await logActivity(deps(), lead, { kind: 'note', text: 'Late', occurredAt: null }, context);
      now += ms;
    },
  });
  await enricher.process(activities, noCheckpoint, signal());
  t.deepEqual(waits, [800], 'it waited out the rest of the window');
  t.is((await summariesOf(streamId)).length, 0, 'the later activity will summarise both');
  t.is(asked.length, 0);
});

test('of a burst already in the stream, only the last event waits out the window and reads the whole stream', async (t) => {
  const { asked, summarize } = recordingSummarizer();
  const { streamId, activities } = await leadWithActivities(['One', 'Two', 'Three']);
  let now = Date.parse((activities[0]!.data as { loggedAt: string }).loggedAt);
  const waits: number[] = [];
  let wholeReads = 0;
  const counting: EventStore = Object.assign(Object.create(store) as EventStore, {
    readStream: (id: string, options?: { from?: number }) => {
      if ((options?.from ?? 0) === 0) wholeReads++;
      return store.readStream(id, options);
    },
  });
  const enricher = leadSummary({
    ...deps(),
    store: counting,
    clock: { now: () => new Date(now) },
    summarize,
    quietMs: 1000,
    pause: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  });
  const runner = new EnricherConsumer(testDb.database.db, enricher, pino({ level: 'silent' }), { maxAttempts: 3, retryMinMs: 1, retryMaxMs: 5, isTransient: () => false });
  await runner.process(activities, noCheckpoint, signal());
  t.is(waits.length, 1, 'the earlier two end without waiting');
  t.is(wholeReads, 1, 'and without reading the whole stream');
  t.is((await summariesOf(streamId)).length, 1);
  t.deepEqual(asked[0]!.activities.map((a) => a.text), ['One', 'Two', 'Three']);
});

test('a lead that moves between the read and the append is read again, and summarised as it now stands', async (t) => {
  const { streamId, activities } = await leadWithActivities(['Talked']);
  const lead = streamId.slice('lead-'.length);
  let calls = 0;
  const summarize: SummarizeLead = async (input) => {
    calls++;
    if (calls === 1) {
      // Someone archives the lead while the provider thinks: the append must not land on a stale revision.
      const { archiveLead } = await import('../../application/crm/lead-commands.js');
      await archiveLead(deps(), lead, context);
    }
    return { summary: `status ${input.lead.status}`, nextAction: 'n', sentiment: 'neutral', provider: 'fake' };
  };
  await consumer(summarize).process(activities, noCheckpoint, signal());
  const events = await collect(store.readStream(streamId));
  t.deepEqual(events.map((e) => e.type), ['LeadCreated', 'ActivityLogged', 'LeadArchived', 'LeadSummarized']);
  t.is(calls, 2, 'asked again after the conflict');
});
