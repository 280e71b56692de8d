// An enricher consumer enriches the streams of a batch side by side, each stream in its order, and a stream
// whose event is parked parks the rest of its events without holding up the other streams.
import test from 'ava';
import { pino } from 'pino';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { EnricherConsumer, type Enricher } from '../../projections/enricher.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { metadata } from '../support/events.js';

const event = (streamId: string, revision: number, position: number): RecordedEvent => ({
  eventId: crypto.randomUUID(),
  type: 'Noted',
  streamId,
  revision,
  position: String(position),
  data: {},
  metadata,
});

test('streams of a batch are enriched side by side, each in order; a poisoned stream parks only itself', async (t) => {
  const testDb = await embeddedTestDatabase();
  try {
    const calls: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const enricher: Enricher = {
      name: 'enricher.test',
      categories: ['note'],
      handles: ['Noted'],
      async enrich(e) {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        if (e.streamId === 'note-poison' && e.revision === 1) throw new Error('cannot enrich this one');
        calls.push(`${e.streamId}@${e.revision}`);
      },
      enrichedAlready: async () => new Set(),
      isUnavailable: () => false,
    };
    const consumer = new EnricherConsumer(testDb.database.db, enricher, pino({ level: 'silent' }), {
      maxAttempts: 1,
      retryMinMs: 1,
      retryMaxMs: 2,
      isTransient: () => false,
    });
    const streams = ['note-a', 'note-b', 'note-poison', 'note-c'];
    const batch = [0, 1, 2].flatMap((revision) => streams.map((streamId, index) => event(streamId, revision, revision * 10 + index + 1)));
    await consumer.process(batch, { kind: 'checkpoint', position: '99' }, new AbortController().signal);

    t.true(mostInFlight > 1, `streams were enriched side by side (${mostInFlight} at once)`);
    for (const streamId of ['note-a', 'note-b', 'note-c']) {
      t.deepEqual(calls.filter((call) => call.startsWith(`${streamId}@`)), [0, 1, 2].map((revision) => `${streamId}@${revision}`), `${streamId} in order`);
    }
    t.deepEqual(calls.filter((call) => call.startsWith('note-poison@')), ['note-poison@0']);
    const letters = await testDb.database.db.selectFrom('dead_letters').select(['stream_id', 'revision']).orderBy('revision').execute();
    t.deepEqual(letters.map((letter) => [letter.stream_id, Number(letter.revision)]), [['note-poison', 1], ['note-poison', 2]], 'the failing event and the one behind it are parked');
    t.is((await testDb.database.db.selectFrom('checkpoints').select('position').where('name', '=', 'enricher.test').executeTakeFirst())?.position, '99');
  } finally {
    await testDb.drop();
  }
});

test('events of a batch enriched already are passed over, after one question for the whole batch', async (t) => {
  const testDb = await embeddedTestDatabase();
  try {
    const batch = [0, 1].flatMap((revision) => ['note-a', 'note-b'].map((streamId, index) => event(streamId, revision, revision * 10 + index + 1)));
    const enrichedBefore = new Set([batch[0]!.eventId, batch[3]!.eventId]);
    const asked: number[] = [];
    const enriched: string[] = [];
    const enricher: Enricher = {
      name: 'enricher.test',
      categories: ['note'],
      handles: ['Noted'],
      async enrich(e) {
        enriched.push(e.eventId);
      },
      async enrichedAlready(events) {
        asked.push(events.length);
        return new Set(events.map((e) => e.eventId).filter((id) => enrichedBefore.has(id)));
      },
      isUnavailable: () => false,
    };
    const consumer = new EnricherConsumer(testDb.database.db, enricher, pino({ level: 'silent' }), { maxAttempts: 1, retryMinMs: 1, retryMaxMs: 2, isTransient: () => false });
    await consumer.process(batch, { kind: 'checkpoint', position: '99' }, new AbortController().signal);
    t.deepEqual(asked, [4]);
    t.deepEqual(enriched.sort(), [batch[1]!.eventId, batch[2]!.eventId].sort());
  } finally {
    await testDb.drop();
  }
});
