// A long history: a diagram with more than 100 versions is loaded from its snapshot, so a command reads the events
// after it (under 100), not the whole stream; and it decides as a full read would.
import test from 'ava';
import { addDiagramVersion, createDiagram, renameDiagram, restoreDiagramVersion } from '../../application/diagrams/diagram-commands.js';
import { foldStream } from '../../application/kernel/fold-stream.js';
import type { CommandDependencies } from '../../application/kernel/handle-command.js';
import type { EventStore } from '../../application/ports/event-store.js';
import { diagramDecider } from '../../domain/diagrams/diagram-commands.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { PostgresSnapshotStore } from '../../infrastructure/eventstore/snapshot-table.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { upcasting } from '../support/upcasting.js';

const context = { correlationId: 'diagram-snapshots', causationId: null, actor: { sub: 'owner-1', roles: ['member' as const] } };
const owner = { sub: 'owner-1', admin: false };

/** The store, counting the events its stream reads hand out. */
function counting(store: EventStore): { store: EventStore; read: () => number } {
  let read = 0;
  const counted: EventStore = Object.create(store) as EventStore;
  counted.readStream = async function* (streamId, options) {
    for await (const event of store.readStream(streamId, options)) {
      read++;
      yield event;
    }
  };
  return { store: counted, read: () => read };
}

test('after 100 events a snapshot of the diagram is kept; later commands read from it, and decide as from the whole stream', async (t) => {
  const { database, drop } = await embeddedTestDatabase();
  t.teardown(drop);
  let found = 0;
  const snapshots = new PostgresSnapshotStore(database.db, { onLoad: (hit) => void (found += hit ? 1 : 0), onSave: () => undefined });
  const { store, read } = counting(new PostgresEventStore(database, { pollIntervalMs: 100 }));
  const deps: CommandDependencies = { store, ids: uuidV7Ids, clock: systemClock, upcasting, snapshots };
  const { id } = await createDiagram(deps, { title: 'Long', format: 'dot', visibility: 'private', source: 'digraph { v1 }', message: null, generation: null }, owner, context);
  for (let n = 2; n <= 120; n++) await addDiagramVersion(deps, id, { source: `digraph { v${n} }`, message: null }, owner, context);
  const kept = await database.db.selectFrom('snapshots').selectAll().where('stream_id', '=', `diagram-${id}`).executeTakeFirstOrThrow();
  t.is(Number(kept.revision), 99);
  t.like(kept.state, { status: 'active', diagramId: id, latestVersion: 100, ownerId: 'owner-1' });
  t.false(JSON.stringify(kept.state).includes('digraph'), 'the snapshot holds no source');

  const [hitsBefore, readBefore] = [found, read()];
  const added = await addDiagramVersion(deps, id, { source: 'digraph { v121 }', message: null }, owner, context);
  t.is(added.version, 121);
  t.is(found, hitsBefore + 1, 'it started from the snapshot');
  t.is(read() - readBefore, 20, 'it read the 20 events after the snapshot, not 120');

  const same = await addDiagramVersion(deps, id, { source: 'digraph { v121 }', message: null }, owner, context);
  t.like(same, { version: 121, unchanged: true });
  const restored = await restoreDiagramVersion(deps, id, 3, owner, context);
  t.like(restored, { version: 122, unchanged: false });
  await renameDiagram(deps, id, 'Longer', owner, context);
  const { state } = await foldStream(deps.store, diagramDecider, `diagram-${id}`);
  t.like(state, { status: 'active', title: 'Longer', latestVersion: 122 });
  const events = [];
  for await (const event of deps.store.readStream(`diagram-${id}`, { from: 121 })) events.push(event);
  t.like(events[0]?.data, { version: 122, source: 'digraph { v3 }', restoredFrom: 3 });
});

test('a version command run again with the same ids (a retry after a crash) answers the version its stream holds, and appends nothing', async (t) => {
  const { database, drop } = await embeddedTestDatabase();
  t.teardown(drop);
  const store = new PostgresEventStore(database, { pollIntervalMs: 100 });
  const base: CommandDependencies = { store, ids: uuidV7Ids, clock: systemClock, upcasting };
  const { id } = await createDiagram(base, { title: 'Retry', format: 'dot', visibility: 'private', source: 'digraph { a }', message: null, generation: null }, owner, context);
  // Ids seeded as an Idempotency-Key seeds them: the second run mints the same first event id.
  const seeded = (): CommandDependencies => {
    const ids = ['01a2041a-9df6-7589-a81b-b54b10950001', '01a2041a-9df6-7589-a81b-b54b10950002'];
    return { ...base, ids: { ...uuidV7Ids, next: () => ids.shift() ?? uuidV7Ids.next() } };
  };
  const first = await addDiagramVersion(seeded(), id, { source: 'digraph { a -> b }', message: null }, owner, context);
  t.like(first, { version: 2, revision: 1, unchanged: false });
  await renameDiagram(base, id, 'Renamed', owner, context);
  const again = await addDiagramVersion(seeded(), id, { source: 'digraph { a -> b }', message: null }, owner, context);
  t.like(again, { version: 2, revision: 1, position: first.position, unchanged: true });
  t.is((await foldStream(store, diagramDecider, `diagram-${id}`)).revision, 2, 'nothing appended by the second run');
});
