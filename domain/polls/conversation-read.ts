// Read marks of conversations: a stream per reader and counterpart (conversationread-<reader>:<counterpart>). A mark
// is an event, like everything a user does: a rebuilt read model keeps what was read, and the marks are replayable.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { NotFound, ValidationError } from '../kernel/errors.js';
import type { ConversationRead as ConversationReadEvent } from './social-events.js';

export type ConversationReadMark = { status: 'unread' } | { status: 'read'; upTo: string };

export const initialState = (): ConversationReadMark => ({ status: 'unread' });

export function evolve(state: ConversationReadMark, event: ConversationReadEvent): ConversationReadMark {
  switch (event.type) {
    case 'ConversationRead':
      // Marks never move back: ISO instants of one format compare as strings.
      return state.status === 'read' && state.upTo >= event.data.upTo ? state : { status: 'read', upTo: event.data.upTo };
    default:
      return assertNever(event.type);
  }
}

/** Everything the counterpart sent until the command's time is read. */
export type MarkConversationRead = Command<'MarkConversationRead', { readerId: string; counterpartId: string; counterpartKnown: boolean }>;

export type ConversationReadCommand = MarkConversationRead;

export function decide(command: ConversationReadCommand, state: ConversationReadMark): readonly ConversationReadEvent[] {
  switch (command.type) {
    case 'MarkConversationRead': {
      const { readerId, counterpartId, counterpartKnown } = command.data;
      if (readerId === counterpartId) throw new ValidationError('MESSAGE.SELF', 'There is no conversation with yourself');
      if (!counterpartKnown) throw new NotFound('MESSAGE.USER_NOT_FOUND', `User ${counterpartId} does not exist`);
      const now = command.metadata.now.toISOString();
      if (state.status === 'read' && state.upTo >= now) return [];
      return [{ type: 'ConversationRead', data: { readerId, counterpartId, upTo: now, readAt: now } }];
    }
    default:
      return assertNever(command.type);
  }
}

export const conversationReadDecider: Decider<ConversationReadMark, ConversationReadCommand, ConversationReadEvent> = {
  decide,
  evolve,
  initialState,
  // One event per read: the stream grows for as long as the conversation goes on.
  snapshots: { every: 100, schema: 1 },
};
