import type { Decider, Event } from '../../domain/kernel/decider.js';
import type { EventStore } from '../ports/event-store.js';

/** A stream's current state and revision (-1 when it does not exist), for reads that decide nothing. */
export async function foldStream<State, E extends Event>(
  store: EventStore,
  decider: Pick<Decider<State, never, E>, 'evolve' | 'initialState'>,
  streamId: string,
): Promise<{ state: State; revision: number }> {
  let state = decider.initialState();
  let revision = -1;
  for await (const event of store.readStream(streamId)) {
    // Stored events are the decider's own events, at their current schemas when the store upcasts them.
    state = decider.evolve(state, event as unknown as E);
    revision = event.revision;
  }
  return { state, revision };
}
