// A long history: one POST versions command (the application handler: load, decide, append) on a diagram of 10,000
// versions, with the decider's snapshots and without them, on a fresh PostgreSQL database.
import { randomUUID } from 'node:crypto';
import { addDiagramVersion, sourceHashOf } from '../../application/diagrams/diagram-commands.js';
import type { CommandDependencies } from '../../application/kernel/handle-command.js';
import { diagramDecider } from '../../domain/diagrams/diagram-commands.js';
import { diagramStreamId, type DiagramEvent } from '../../domain/diagrams/diagram-events.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { PostgresEventStore } from '../../infrastructure/eventstore/postgres/postgres-event-store.js';
import { PostgresSnapshotStore } from '../../infrastructure/eventstore/snapshot-table.js';
import { serverTestDatabase } from '../support/databases.js';
import { metadata } from '../support/events.js';
import { upcasting } from '../support/upcasting.js';
import { fromRounds, median, type Figure } from './figures.js';
import { progress } from './progress.js';

const VERSIONS = 10_000;
/** With snapshots, a command reads 0 to 99 events after the latest one: this many in a row cover the whole cycle. */
const COMMANDS_WITH_SNAPSHOTS = 100;
const COMMANDS_WITHOUT = 10;
const owner = { sub: 'bench-owner', admin: false };
const context = { correlationId: 'bench-diagrams', causationId: null, actor: { sub: owner.sub, roles: ['member' as const] } };

/** A DOT source of a few hundred bytes, different for each version. */
const sourceOf = (version: number): string => `digraph pipeline {\n  api -> store [label="v${version}"];\n  store -> relay;\n  relay -> kafka;\n  kafka -> projector;\n}\n`;

function versionEvent(diagramId: string, version: number): DiagramEvent {
  const source = sourceOf(version);
  const at = new Date().toISOString();
  if (version === 1) {
    return { type: 'DiagramCreated', data: { diagramId, title: 'Long history', format: 'dot', visibility: 'private', source, sourceHash: sourceHashOf(source), message: null, ownerId: owner.sub, createdAt: at } };
  }
  return { type: 'DiagramVersionAdded', data: { diagramId, version, source, sourceHash: sourceHashOf(source), message: null, restoredFrom: null, addedBy: owner.sub, addedAt: at } };
}

async function timeCommands(deps: CommandDependencies, diagramId: string, count: number, from: number): Promise<number[]> {
  const times: number[] = [];
  for (let n = 0; n < count; n++) {
    const started = performance.now();
    await addDiagramVersion(deps, diagramId, { source: sourceOf(from + n), message: null }, owner, context);
    times.push(performance.now() - started);
  }
  return times;
}

export async function diagramsFigures(serverUrl: string): Promise<Figure[]> {
  const testDb = await serverTestDatabase(serverUrl);
  try {
    const store = new PostgresEventStore(testDb.database, { pollIntervalMs: 100 });
    const snapshots = new PostgresSnapshotStore(testDb.database.db, { onLoad: () => undefined, onSave: () => undefined });
    const diagramId = randomUUID();
    const streamId = diagramStreamId(diagramId);
    progress(`diagrams: appending a diagram of ${VERSIONS.toLocaleString('en')} versions`);
    let state = diagramDecider.initialState();
    for (let first = 1; first <= VERSIONS; first += 500) {
      const events = Array.from({ length: Math.min(500, VERSIONS - first + 1) }, (_, index) => versionEvent(diagramId, first + index));
      await store.append(streamId, events.map((event) => ({ eventId: randomUUID(), type: event.type, data: event.data, metadata })), { expectedRevision: first === 1 ? 'no_stream' : first - 2 });
      state = events.reduce(diagramDecider.evolve, state);
    }
    // What the handler would have kept after the 10,000th event (revision 9,999), had it appended them one by one.
    await snapshots.save({ streamId, revision: VERSIONS - 1, position: '0', schema: diagramDecider.snapshots!.schema, state });

    const base = { store, ids: uuidV7Ids, clock: systemClock, upcasting };
    progress(`diagrams: ${COMMANDS_WITH_SNAPSHOTS} POST versions commands with snapshots`);
    const withSnapshots = await timeCommands({ ...base, snapshots }, diagramId, COMMANDS_WITH_SNAPSHOTS, VERSIONS + 1);
    progress(`diagrams: ${COMMANDS_WITHOUT} POST versions commands without snapshots (the whole stream each time)`);
    const without = await timeCommands(base, diagramId, COMMANDS_WITHOUT, VERSIONS + 1 + COMMANDS_WITH_SNAPSHOTS);
    const sorted = [...withSnapshots].sort((a, b) => a - b);
    return [
      {
        name: `diagrams: POST versions on a diagram of ${VERSIONS.toLocaleString('en')} versions, snapshots every 100 (handler)`,
        unit: 'ms',
        chorus: { value: median(withSnapshots), details: { p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0, commands: withSnapshots.length } },
      },
      {
        name: `diagrams: the same, snapshots off (reads the whole stream)`,
        unit: 'ms',
        chorus: fromRounds(without),
      },
    ];
  } finally {
    await testDb.drop();
  }
}
