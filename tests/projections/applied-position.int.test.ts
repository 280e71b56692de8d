// How far a projection has applied the whole log: its checkpoint when it reads the store, and on Kafka the
// smallest relay watermark over every partition of its topics, recorded with its rows.
import test from 'ava';
import { pino } from 'pino';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { ProjectionApplier } from '../../projections/projection-applier.js';
import { appliedCheckpoint, appliedWatermark } from '../../projections/projection-status.js';
import type { Projection } from '../../projections/projection.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { metadata, newEvent } from '../support/events.js';
import { notesProjection } from '../support/notes-projection.js';

const TOPIC = 'chorus.notes';

const notes = notesProjection;

const noted = (streamId: string, position: string): RecordedEvent => ({
  eventId: crypto.randomUUID(),
  type: 'Noted',
  streamId,
  revision: 0,
  position,
  data: {},
  metadata,
});

async function setUp() {
  const testDb = await embeddedTestDatabase();
  const store = new PostgresEventStore(testDb.database, { pollIntervalMs: 50 });
  const announced: string[] = [];
  const applier = new ProjectionApplier(testDb.database.db, store, notes, pino({ level: 'silent' }), {
    maxAttempts: 2,
    retryMinMs: 1,
    retryMaxMs: 2,
    isTransient: () => false,
    onBatchApplied: (name) => announced.push(name),
  });
  await applier.start();
  const applied = appliedWatermark(store, () => new Map([[TOPIC, { partitions: 3, categories: ['note'] }]]));
  const signal = new AbortController().signal;
  const batch = (partition: number, offset: string, events: RecordedEvent[], watermark?: string) =>
    applier.process(events, { kind: 'offsets', partitions: [{ topic: TOPIC, partition, offset, ...(watermark === undefined ? {} : { watermark }) }] }, signal);
  return { testDb, store, applier, announced, applied: () => applied(testDb.database.db, notes), batch };
}

test('on Kafka the applied position is the smallest watermark, and nothing until every partition has one', async (t) => {
  const { testDb, announced, applied, batch } = await setUp();
  try {
    t.is(await applied(), null, 'nothing applied yet');
    await batch(0, '4', [noted('note-a', '100')], '150');
    await batch(1, '2', [noted('note-b', '120')], '150');
    t.is(await applied(), null, 'partition 2 has no watermark yet');
    // An idle partition: only a watermark, no events. It counts like the others.
    await batch(2, '0', [], '150');
    t.is(await applied(), '150');
    await batch(0, '9', [noted('note-c', '200')], '250');
    await batch(2, '1', [], '250');
    t.is(await applied(), '150', 'partition 1 still holds it back');
    await batch(1, '3', [], '250');
    t.is(await applied(), '250');
    t.true(announced.length >= 6, 'watermark-only batches are announced to waits too');
  } finally {
    await testDb.drop();
  }
});

test('a batch gathered from several partitions records the offset and watermark of each, and leaves others as they were', async (t) => {
  const { testDb, applier, applied, batch } = await setUp();
  try {
    await batch(2, '5', [], '100');
    const partitions = [
      { topic: TOPIC, partition: 0, offset: '4', watermark: '150' },
      { topic: TOPIC, partition: 1, offset: '2' },
    ];
    await applier.process([noted('note-a', '120'), noted('note-b', '130')], { kind: 'offsets', partitions }, new AbortController().signal);
    t.is(await applied(), null, 'partition 1 has no watermark yet');
    const ownRow = () => testDb.database.db.selectFrom('projections').select(['checkpoint', 'applied_batches', 'updated_at']).where('name', '=', 'notes').executeTakeFirstOrThrow();
    const before = await ownRow();
    await applier.process([], { kind: 'offsets', partitions: [{ topic: TOPIC, partition: 1, offset: '3', watermark: '160' }, { topic: TOPIC, partition: 2, offset: '6', watermark: '170' }] }, new AbortController().signal);
    t.is(await applied(), '150');
    t.deepEqual(await ownRow(), before, "watermarks alone leave the projection's own row as it was");
    const rows = await testDb.database.db.selectFrom('projection_offsets').select(['partition', 'offset', 'watermark']).orderBy('partition').execute();
    t.deepEqual(
      rows.map((row) => [row.partition, String(row.offset), row.watermark]),
      [
        [0, '4', '150'],
        [1, '3', '160'],
        [2, '6', '170'],
      ],
    );
  } finally {
    await testDb.drop();
  }
});

test('a partition never moves back: a stale runner committing an older batch leaves the newer watermark', async (t) => {
  const { testDb, applied, batch } = await setUp();
  try {
    for (const partition of [0, 1, 2]) await batch(partition, '10', [], '500');
    await batch(1, '7', [noted('note-x', '300')], '320');
    t.is(await applied(), '500');
    const row = await testDb.database.db.selectFrom('projection_offsets').select(['offset', 'watermark']).where('partition', '=', 1).executeTakeFirstOrThrow();
    t.deepEqual({ offset: String(row.offset), watermark: row.watermark }, { offset: '10', watermark: '500' });
  } finally {
    await testDb.drop();
  }
});

test('rows of partitions a topic no longer has, or of other topics, do not count', async (t) => {
  const { testDb, applier, applied, batch } = await setUp();
  try {
    for (const partition of [0, 1]) await batch(partition, '1', [], '90');
    await applier.process([], { kind: 'offsets', partitions: [{ topic: 'chorus.other', partition: 2, offset: '1', watermark: '90' }] }, new AbortController().signal);
    await batch(5, '1', [], '90');
    t.is(await applied(), null, 'partition 2 of the topic itself is still missing');
  } finally {
    await testDb.drop();
  }
});

test('on Kafka a position past the smallest watermark is applied when the topics below it hold nothing the projection applies up to there', async (t) => {
  const { testDb, store, applier } = await setUp();
  try {
    const MEMOS = 'chorus.memos';
    const both: Projection = { ...notes, categories: ['note', 'memo'] };
    const applied = appliedWatermark(store, () =>
      new Map([
        [TOPIC, { partitions: 1, categories: ['note'] }],
        [MEMOS, { partitions: 1, categories: ['memo'] }],
      ]),
    );
    const at = (wanted?: string) => applied(testDb.database.db, both, wanted);
    const mark = (topic: string, offset: string, watermark: string) =>
      applier.process([], { kind: 'offsets', partitions: [{ topic, partition: 0, offset, watermark }] }, new AbortController().signal);
    const append = async (streamId: string, type = 'Noted') => (await store.append(streamId, [newEvent(type)], { expectedRevision: 'any' })).position;
    const first = await append('note-1');
    await mark(TOPIC, '1', first);
    await mark(MEMOS, '1', first);
    const mine = await append('note-2');
    t.is(await at(mine), first, "its own topic's watermark is still below the write");
    await mark(TOPIC, '2', mine);
    t.is(await at(), first, 'asked nothing, it is the smallest watermark');
    t.is(await at(mine), mine, 'the idle topic holds nothing it applies between its watermark and the write');
    const memo = await append('memo-1');
    const later = await append('note-3');
    await mark(TOPIC, '3', later);
    t.is(await at(later), first, "a memo lies between the idle topic's watermark and the position");
    await mark(MEMOS, '2', memo);
    const unhandled = await append('memo-2', 'Erased');
    t.is(await at(unhandled), unhandled, 'an event of its category that it does not apply is read past');
    const beyond = (BigInt(unhandled) + (1n << 20n)).toString();
    t.is(await at(beyond), memo, 'past the head, more could still come');
  } finally {
    await testDb.drop();
  }
});

test('reading the store, the applied position is the checkpoint', async (t) => {
  const { testDb, store, applier } = await setUp();
  try {
    const applied = appliedCheckpoint(store);
    t.is(await applied(testDb.database.db, notes), null);
    await applier.process([noted('note-a', '42')], { kind: 'checkpoint', position: '77' }, new AbortController().signal);
    t.is(await applied(testDb.database.db, notes), '77');
  } finally {
    await testDb.drop();
  }
});

test('a position past the checkpoint counts as applied when only other categories lie between, and only then', async (t) => {
  const { testDb, store, applier } = await setUp();
  try {
    const applied = appliedCheckpoint(store);
    const append = async (streamId: string) => (await store.append(streamId, [newEvent('Noted')], { expectedRevision: 'any' })).position;
    const first = await append('note-1');
    await applier.process([], { kind: 'checkpoint', position: first }, new AbortController().signal);
    const elsewhere = await append('other-1');
    t.is(await applied(testDb.database.db, notes), first, 'asked nothing, it is the checkpoint');
    t.is(await applied(testDb.database.db, notes, elsewhere), elsewhere, 'only another category lies between');
    const unhandled = (await store.append('note-3', [newEvent('Erased')], { expectedRevision: 'any' })).position;
    t.is(await applied(testDb.database.db, notes, unhandled), unhandled, 'an event of its category that it does not apply is read past');
    const mine = await append('note-2');
    const later = await append('other-2');
    t.is(await applied(testDb.database.db, notes, later), first, 'an event of its own category lies between');
    t.is(await applied(testDb.database.db, notes, first), first);
    const beyond = (BigInt(later) + (1n << 20n)).toString();
    t.is(await applied(testDb.database.db, notes, beyond), first, 'past the head, more could still come');
    await applier.process([], { kind: 'checkpoint', position: mine }, new AbortController().signal);
    t.is(await applied(testDb.database.db, notes, later), later);
  } finally {
    await testDb.drop();
  }
});
