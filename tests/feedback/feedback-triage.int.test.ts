import test from 'ava';
import { pino } from 'pino';
import { submitFeedback } from '../../application/feedback/feedback-commands.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { FeedbackTriage } from '../../projections/feedback/feedback-triage.js';
import { readCheckpoint } from '../../projections/checkpoints.js';
import { collect } from '../support/events.js';
import { embeddedTestDatabase } from '../support/databases.js';

test('triage appends one categorization per submission, however often the submission is delivered', async (t) => {
  const { database, drop } = await embeddedTestDatabase();
  try {
    const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    const asked: string[] = [];
    const failuresLeft = { count: 1 };
    const triage = new FeedbackTriage({
      db: database.db,
      store,
      analyze: async (text) => {
        asked.push(text);
        if (failuresLeft.count-- > 0) throw new Error('provider hiccup'); // retried, not skipped
        return { category: 'bug', sentiment: 'negative', confidence: 0.8, provider: 'fake' };
      },
      ids: uuidV7Ids,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      retryMinMs: 1,
      retryMaxMs: 5,
    });
    const context = { correlationId: 'triage-test', causationId: null, actor: { sub: 'test', roles: [] } };
    const { id } = await submitFeedback({ store, ids: uuidV7Ids, clock: systemClock }, { text: 'Export fails', rating: 2, source: null, customerId: null }, context);
    const [submitted] = await collect(store.readStream(`feedback-${id}`));

    const signal = new AbortController().signal;
    await triage.process([submitted!], { kind: 'checkpoint', position: submitted!.position }, signal);
    await triage.process([submitted!], { kind: 'checkpoint', position: submitted!.position }, signal);

    const events = await collect(store.readStream(`feedback-${id}`));
    t.deepEqual(events.map((e) => e.type), ['FeedbackSubmitted', 'FeedbackCategorized']);
    t.like(events[1], {
      data: { feedbackId: id, category: 'bug', sentiment: 'negative', confidence: 0.8, provider: 'fake' },
      metadata: { correlationId: 'triage-test', causationId: submitted!.eventId, actor: { sub: 'enricher.feedback-triage', roles: ['agent'] } },
    });
    t.is(events[1]!.eventId, uuidV7Ids.fromName(`enricher.feedback-triage:${submitted!.eventId}`));
    t.deepEqual(asked, ['Export fails', 'Export fails'], 'one failed call and one answer; the redelivery asked nothing');
    t.is(await readCheckpoint(database.db, 'enricher.feedback-triage'), submitted!.position);
  } finally {
    await drop();
  }
});
