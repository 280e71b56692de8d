// One user's reaction to one poll, in its own stream: set, changed, removed, set again. Setting the kind the user
// has already decides nothing; removing a reaction that is not there is not found.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { NotFound } from '../kernel/errors.js';
import type { ReactionEvent, ReactionKind } from './reaction-events.js';

export type Reaction = Readonly<{ kind: ReactionKind | null }>;

export const initialState = (): Reaction => ({ kind: null });

export function evolve(_state: Reaction, event: ReactionEvent): Reaction {
  switch (event.type) {
    case 'ReactionSet':
      return { kind: event.data.kind };
    case 'ReactionRemoved':
      return { kind: null };
    default:
      return assertNever(event);
  }
}

export type SetReaction = Command<'SetReaction', { pollId: string; userId: string; kind: ReactionKind }>;
export type RemoveReaction = Command<'RemoveReaction', { pollId: string; userId: string }>;
export type ReactionCommand = SetReaction | RemoveReaction;

export function decide(command: ReactionCommand, state: Reaction): readonly ReactionEvent[] {
  const { pollId, userId } = command.data;
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'SetReaction': {
      const { kind } = command.data;
      if (state.kind === kind) return [];
      return [{ type: 'ReactionSet', data: { pollId, userId, kind, previous: state.kind, at } }];
    }
    case 'RemoveReaction':
      if (state.kind === null) throw new NotFound('REACTION.NOT_FOUND', `You have no reaction to poll ${pollId}`);
      return [{ type: 'ReactionRemoved', data: { pollId, userId, kind: state.kind, at } }];
    default:
      return assertNever(command);
  }
}

export const reactionDecider: Decider<Reaction, ReactionCommand, ReactionEvent> = { decide, evolve, initialState };
