// Snapshots of long streams: a decider that declares them is loaded from its latest snapshot plus the events
// after it, with the same outcome as a full read; a snapshot of another schema is ignored; a request run again
// with its Idempotency-Key's ids still finds what it appended before the snapshot.
import test from 'ava';
import { sql } from 'kysely';
import { foldStream } from '../../application/kernel/fold-stream.js';
import { handleCommand, type CommandDependencies } from '../../application/kernel/handle-command.js';
import type { Command, Decider, Event } from '../../domain/kernel/decider.js';
import { seededIds, systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresSnapshotStore } from '../../infrastructure/eventstore/snapshot-table.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { freshStream } from '../support/events.js';
import { upcasting } from '../support/upcasting.js';

type Tally = { count: number; sum: number };
type Add = Command<'Add', { by: number }>;
type Added = Event<'Added', { by: number; countBefore: number; sumBefore: number }>;

const tally = (every: number, schema = 1): Decider<Tally, Add, Added> => ({
  initialState: () => ({ count: 0, sum: 0 }),
  evolve: (state, event) => ({ count: state.count + 1, sum: state.sum + event.data.by }),
  // Each event records the state it was decided on, so a wrong state shows in the log.
  decide: (command, state) => [{ type: 'Added', data: { by: command.data.by, countBefore: state.count, sumBefore: state.sum } }],
  snapshots: { every, schema },
});

const context = { correlationId: 'snapshots', causationId: null, actor: { sub: 'test' } };
const add = (by: number) => (now: Date): Add => ({ type: 'Add', data: { by }, metadata: { now } });

async function setup(t: { teardown(fn: () => Promise<void>): void }) {
  const { database, drop } = await embeddedTestDatabase();
  t.teardown(drop);
  const counts = { loads: 0, found: 0, saves: 0 };
  const snapshots = new PostgresSnapshotStore(database.db, { onLoad: (found) => ((counts.loads += 1), (counts.found += found ? 1 : 0)), onSave: () => (counts.saves += 1) });
  const deps: CommandDependencies = { store: new PostgresEventStore(database, { pollIntervalMs: 100 }), ids: uuidV7Ids, clock: systemClock, upcasting, snapshots };
  return { db: database.db, deps, counts };
}

test('every 3 events a snapshot is kept; loading from it decides exactly as a full read would', async (t) => {
  const { db, deps, counts } = await setup(t);
  const stream = freshStream('tally');
  for (let n = 1; n <= 10; n++) await handleCommand(deps, tally(3), stream, add(n), context);
  const kept = await db.selectFrom('snapshots').selectAll().where('stream_id', '=', stream).executeTakeFirstOrThrow();
  t.is(Number(kept.revision), 8, 'the last one after the ninth event');
  t.deepEqual(kept.state, { count: 9, sum: 45 });
  t.is(counts.saves, 3);
  t.true(counts.found >= 7, 'later commands started from a snapshot');
  const { state } = await foldStream(deps.store, tally(3), stream);
  t.deepEqual(state, { count: 10, sum: 55 });
  const decided: { countBefore: number; sumBefore: number }[] = [];
  for await (const event of deps.store.readStream(stream)) decided.push(event.data as { countBefore: number; sumBefore: number });
  t.deepEqual(decided.map((data) => data.countBefore), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual(decided.map((data) => data.sumBefore), [0, 1, 3, 6, 10, 15, 21, 28, 36, 45]);
});

test('a snapshot is used: a changed one changes the decision, unless the decider has moved to another schema', async (t) => {
  const { db, deps } = await setup(t);
  const stream = freshStream('tally');
  for (let n = 1; n <= 3; n++) await handleCommand(deps, tally(3), stream, add(1), context);
  await sql`update snapshots set state = '{"count": 100, "sum": 100}'::jsonb where stream_id = ${stream}`.execute(db);
  const tampered = await handleCommand(deps, tally(3), stream, add(1), context);
  t.like(tampered.events[0]!.data, { countBefore: 100 }, 'the snapshot was read, not the events before it');
  const fresh = await handleCommand(deps, tally(3, 2), stream, add(1), context);
  t.like(fresh.events[0]!.data, { countBefore: 4, sumBefore: 4 }, 'a snapshot of schema 1 means nothing to schema 2');
});

test('a request run again with the same seeded ids answers as it did, though a snapshot was kept since', async (t) => {
  const { deps } = await setup(t);
  const stream = freshStream('tally');
  const at = new Date('2026-12-02T10:00:00Z');
  const first = await handleCommand({ ...deps, ids: seededIds('request-1', at) }, tally(3), stream, add(7), context);
  for (let n = 0; n < 5; n++) await handleCommand(deps, tally(3), stream, add(1), context);
  const again = await handleCommand({ ...deps, ids: seededIds('request-1', at) }, tally(3), stream, add(7), context);
  t.is(again.revision, first.revision);
  t.is(again.position, first.position);
  t.deepEqual(again.events, [], 'nothing decided or appended again');
  const { revision } = await foldStream(deps.store, tally(3), stream);
  t.is(revision, 5);
});

test('without a snapshot store, or for a decider without snapshots, streams are read whole and nothing is kept', async (t) => {
  const { db, deps } = await setup(t);
  const stream = freshStream('tally');
  const { snapshots: _unused, ...withoutStore } = deps;
  for (let n = 1; n <= 4; n++) await handleCommand(withoutStore, tally(2), stream, add(n), context);
  const plain = { ...tally(2), snapshots: undefined };
  for (let n = 1; n <= 4; n++) await handleCommand(deps, plain, freshStream('plain'), add(n), context);
  t.is((await db.selectFrom('snapshots').select('stream_id').execute()).length, 0);
});
