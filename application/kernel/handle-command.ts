// Load a stream, let the decider decide, append with optimistic concurrency: the one way commands run.
import type { Command, Decider, Event } from '../../domain/kernel/decider.js';
import { WrongExpectedRevision } from '../../domain/kernel/errors.js';
import type { Clock } from '../ports/clock.js';
import type { Actor, EventStore, Position, RecordedEvent } from '../ports/event-store.js';
import type { Ids } from '../ports/ids.js';

export type CommandDependencies = Readonly<{ store: EventStore; ids: Ids; clock: Clock }>;

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

/** What the decider decided on the attempt that was stored (none when it ran before, or decided nothing). */
export type DecidedResult<E extends Event> = CommandResult & Readonly<{ events: readonly E[] }>;

const ATTEMPTS_WITHOUT_PRECONDITION = 3;

export async function handleCommand<State, C extends Command, E extends Event>(
  { store, ids, clock }: CommandDependencies,
  decider: Decider<State, C, E>,
  streamId: string,
  command: (now: Date) => C,
  context: CommandContext,
): Promise<DecidedResult<E>> {
  for (let attempt = 1; ; attempt++) {
    // Minted before loading, in the same order on every run: a request run again with ids seeded by its
    // Idempotency-Key (after its first run's process died) finds the first event it would append already
    // stored, so it ran before: answer as that run did instead of deciding again.
    const firstEventId = ids.next();
    const { state, revision, position, ranBefore } =
      context.newStream === true && attempt === 1
        ? { state: decider.initialState(), revision: -1, position: null, ranBefore: null }
        : await load(store, decider, streamId, firstEventId);
    if (ranBefore !== null) return { streamId, ...ranBefore, events: [] };
    // A precondition on something that does not exist is moot: the decider answers not-found instead.
    if (context.expectedRevision !== undefined && revision !== -1 && revision !== context.expectedRevision) {
      throw new WrongExpectedRevision(streamId, context.expectedRevision, revision);
    }
    const now = clock.now();
    const events = decider.decide(command(now), state);
    if (events.length === 0) return { streamId, revision, position, events };
    const metadata = {
      correlationId: context.correlationId,
      causationId: context.causationId,
      actor: context.actor,
      occurredAt: now.toISOString(),
      schema: 1,
    };
    try {
      const appended = await store.append(
        streamId,
        events.map((event, index) => ({ eventId: index === 0 ? firstEventId : ids.next(), type: event.type, data: event.data, metadata })),
        { expectedRevision: revision === -1 ? 'no_stream' : revision },
      );
      return { streamId, revision: appended.nextRevision, position: appended.position, events };
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

/** The stream's state, and where the append that began with `firstEventId` ended, if the stream holds it. */
async function load<State, C extends Command, E extends Event>(
  store: EventStore,
  decider: Decider<State, C, E>,
  streamId: string,
  firstEventId: string,
): Promise<{ state: State; revision: number; position: Position | null; ranBefore: Outcome | null }> {
  let state = decider.initialState();
  let revision = -1;
  let position: Position | null = null;
  let ranBefore: Outcome | null = null;
  let appendOf: RecordedEvent | null = null; // the first event of that earlier append, while its events last
  for await (const event of store.readStream(streamId)) {
    // Stored events are the decider's own events; schema upcasting will hook in here when a schema changes.
    state = decider.evolve(state, event as unknown as E);
    revision = event.revision;
    position = event.position;
    if (event.eventId === firstEventId) appendOf = event;
    else if (appendOf !== null && !sameAppend(appendOf, event)) appendOf = null;
    if (appendOf !== null) ranBefore = { revision: event.revision, position: event.position };
  }
  return { state, revision, position, ranBefore };
}

/** Events of one append share their metadata, down to the instant. */
const sameAppend = (a: RecordedEvent, b: RecordedEvent): boolean =>
  a.metadata.occurredAt === b.metadata.occurredAt && a.metadata.correlationId === b.metadata.correlationId && a.metadata.causationId === b.metadata.causationId;
