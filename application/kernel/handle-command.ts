// Load a stream, let the decider decide, append with optimistic concurrency: the one way commands run.
import type { Command, Decider, Event } from '../../domain/kernel/decider.js';
import { WrongExpectedRevision } from '../../domain/kernel/errors.js';
import type { Upcasting } from '../eventstore/upcasting.js';
import type { Clock } from '../ports/clock.js';
import type { Actor, EventStore, Position, RecordedEvent } from '../ports/event-store.js';
import type { Ids } from '../ports/ids.js';
import type { SnapshotStore } from '../ports/snapshot-store.js';

export type CommandDependencies = Readonly<{
  /** Read through the upcasters (upcastingEventStore), so that deciders see their events' current schemas. */
  store: EventStore;
  ids: Ids;
  clock: Clock;
  /** Which schema each new event is written with. */
  upcasting: Upcasting;
  /** Where deciders that declare snapshots keep them; without it, streams are always read whole. */
  snapshots?: SnapshotStore;
}>;

export type CommandContext = Readonly<{
  correlationId: string;
  causationId: string | null;
  actor: Actor;
  /** The revision the caller saw (If-Match). Without it a conflict is retried on fresh state. */
  expectedRevision?: number;
  /**
   * The stream's id was just minted, so it is new: decide on the initial state and append without reading the
   * stream first. Should it exist after all (a run again with the same seeded ids), the append of the same event
   * ids answers as the first did, and any other conflict falls back to loading it.
   */
  newStream?: boolean;
}>;

export type CommandResult = Readonly<{
  streamId: string;
  /** The stream's revision after the command (unchanged when the decider decided nothing). */
  revision: number;
  /** Where the command's last event, or the stream's last event for a no-op, sits in the global log. */
  position: Position | null;
}>;

/**
 * What the decider decided on the attempt that was stored (none when it ran before, or decided nothing), and the
 * state it decided on (when the command ran before: the stream's state as it was loaded).
 */
export type DecidedResult<State, E extends Event> = CommandResult & Readonly<{ events: readonly E[]; state: State }>;

const ATTEMPTS_WITHOUT_PRECONDITION = 3;

export async function handleCommand<State, C extends Command, E extends Event>(
  deps: CommandDependencies,
  decider: Decider<State, C, E>,
  streamId: string,
  command: (now: Date) => C,
  context: CommandContext,
): Promise<DecidedResult<State, E>> {
  const { store, ids, clock } = deps;
  for (let attempt = 1; ; attempt++) {
    // Minted before loading, in the same order on every run: a request run again with ids seeded by its
    // Idempotency-Key (after its first run's process died) finds the first event it would append already
    // stored, so it ran before: answer as that run did instead of deciding again.
    const firstEventId = ids.next();
    const { state, revision, position, ranBefore } =
      context.newStream === true && attempt === 1
        ? { state: decider.initialState(), revision: -1, position: null, ranBefore: null }
        : await load(deps, decider, streamId, firstEventId);
    if (ranBefore !== null) return { streamId, ...ranBefore, events: [], state };
    // A precondition on something that does not exist is moot: the decider answers not-found instead.
    if (context.expectedRevision !== undefined && revision !== -1 && revision !== context.expectedRevision) {
      throw new WrongExpectedRevision(streamId, context.expectedRevision, revision);
    }
    const now = clock.now();
    const events = decider.decide(command(now), state);
    if (events.length === 0) return { streamId, revision, position, events, state };
    const metadata = {
      correlationId: context.correlationId,
      causationId: context.causationId,
      actor: context.actor,
      occurredAt: now.toISOString(),
    };
    try {
      const appended = await store.append(
        streamId,
        events.map((event, index) => ({
          eventId: index === 0 ? firstEventId : ids.next(),
          type: event.type,
          data: event.data,
          metadata: { ...metadata, schema: deps.upcasting.currentSchema(event.type) },
        })),
        { expectedRevision: revision === -1 ? 'no_stream' : revision },
      );
      await keepSnapshot(deps.snapshots, decider, streamId, { state, revision }, events, appended);
      return { streamId, revision: appended.nextRevision, position: appended.position, events, state };
    } catch (error) {
      const retry =
        error instanceof WrongExpectedRevision &&
        context.expectedRevision === undefined &&
        attempt < ATTEMPTS_WITHOUT_PRECONDITION;
      if (!retry) throw error;
    }
  }
}

type Outcome = { revision: number; position: Position };
type Folded<State> = { state: State; revision: number; position: Position | null };

/**
 * The stream's state, and where the append that began with `firstEventId` ended, if the stream holds it. A
 * decider with snapshots starts from its stream's snapshot, unless that first event is stored before it (a
 * request run again with ids seeded by its Idempotency-Key): then the stream is read whole, to find that append.
 */
async function load<State, C extends Command, E extends Event>(
  deps: CommandDependencies,
  decider: Decider<State, C, E>,
  streamId: string,
  firstEventId: string,
): Promise<Folded<State> & { ranBefore: Outcome | null }> {
  const from = await snapshotOf<State>(deps, decider, streamId);
  if (from !== null && !(await deps.store.storedEventIds([{ streamId, eventId: firstEventId }])).has(firstEventId.toLowerCase())) {
    return fold(deps.store, decider, streamId, firstEventId, from);
  }
  return fold(deps.store, decider, streamId, firstEventId, { state: decider.initialState(), revision: -1, position: null });
}

async function fold<State, C extends Command, E extends Event>(
  store: EventStore,
  decider: Decider<State, C, E>,
  streamId: string,
  firstEventId: string,
  from: Folded<State>,
): Promise<Folded<State> & { ranBefore: Outcome | null }> {
  let { state, revision, position } = from;
  let ranBefore: Outcome | null = null;
  let appendOf: RecordedEvent | null = null; // the first event of that earlier append, while its events last
  for await (const event of store.readStream(streamId, { from: revision + 1 })) {
    // Stored events are the decider's own events, at their current schemas when the store upcasts them.
    state = decider.evolve(state, event as unknown as E);
    revision = event.revision;
    position = event.position;
    if (event.eventId === firstEventId) appendOf = event;
    else if (appendOf !== null && !sameAppend(appendOf, event)) appendOf = null;
    if (appendOf !== null) ranBefore = { revision: event.revision, position: event.position };
  }
  return { state, revision, position, ranBefore };
}

/** The stream's snapshot, when its decider keeps them and the snapshot is of the decider's schema. */
async function snapshotOf<State>(deps: CommandDependencies, decider: Pick<Decider<State, never, never>, 'snapshots'>, streamId: string): Promise<Folded<State> | null> {
  if (decider.snapshots === undefined || deps.snapshots === undefined) return null;
  const snapshot = await deps.snapshots.load(streamId);
  if (snapshot === null || snapshot.schema !== decider.snapshots.schema) return null;
  return { state: snapshot.state as State, revision: snapshot.revision, position: snapshot.position };
}

/** After an append that fills another `every` events of the stream, keeps its state as a snapshot. */
async function keepSnapshot<State, C extends Command, E extends Event>(
  snapshots: SnapshotStore | undefined,
  decider: Decider<State, C, E>,
  streamId: string,
  before: { state: State; revision: number },
  events: readonly E[],
  appended: { nextRevision: number; position: Position },
): Promise<void> {
  const policy = decider.snapshots;
  if (policy === undefined || snapshots === undefined) return;
  // Some of the events were stored already (a run again): the state they fold into is not known here.
  if (appended.nextRevision !== before.revision + events.length) return;
  if (Math.floor((appended.nextRevision + 1) / policy.every) === Math.floor((before.revision + 1) / policy.every)) return;
  const state = events.reduce(decider.evolve, before.state);
  try {
    await snapshots.save({ streamId, revision: appended.nextRevision, position: appended.position, schema: policy.schema, state });
  } catch {
    // A snapshot is an optimisation: the command succeeded, and the next load reads a little further.
  }
}

/** Events of one append share their metadata, down to the instant. */
const sameAppend = (a: RecordedEvent, b: RecordedEvent): boolean =>
  a.metadata.occurredAt === b.metadata.occurredAt && a.metadata.correlationId === b.metadata.correlationId && a.metadata.causationId === b.metadata.causationId;
