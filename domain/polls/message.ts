// A direct message: one stream per message (message-<id>), so that no conversation becomes a hot stream. Whether the
// sender and the recipient are users is looked up by the handler in their identity streams and handed over here.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { Forbidden, IllegalState, NotFound, ValidationError } from '../kernel/errors.js';
import { MESSAGE_TEXT_MAX_LENGTH, type MessageSent } from './social-events.js';

export type Message = { status: 'initial' } | { status: 'sent'; messageId: string };

export const initialState = (): Message => ({ status: 'initial' });

export function evolve(_state: Message, event: MessageSent): Message {
  switch (event.type) {
    case 'MessageSent':
      return { status: 'sent', messageId: event.data.messageId };
    default:
      return assertNever(event.type);
  }
}

export type SendMessage = Command<
  'SendMessage',
  { messageId: string; from: string; to: string; text: string; senderKnown: boolean; recipientKnown: boolean }
>;

export type MessageCommand = SendMessage;

export function decide(command: MessageCommand, state: Message): readonly MessageSent[] {
  switch (command.type) {
    case 'SendMessage': {
      const { messageId, from, to, senderKnown, recipientKnown } = command.data;
      if (state.status !== 'initial') throw new IllegalState('MESSAGE.ALREADY_SENT', `Message ${messageId} was sent already`);
      if (!senderKnown) throw new Forbidden('MESSAGE.SENDER_NOT_A_USER', 'Only registered users send messages');
      if (from === to) throw new ValidationError('MESSAGE.SELF', 'A message goes to someone else', [{ path: 'body.to', message: 'Not yourself' }]);
      if (!recipientKnown) throw new NotFound('MESSAGE.RECIPIENT_NOT_FOUND', `User ${to} does not exist`);
      const text = command.data.text.trim();
      if (text.length === 0) throw new ValidationError('MESSAGE.TEXT_EMPTY', 'A message has text', [{ path: 'body.text', message: 'Empty' }]);
      if (text.length > MESSAGE_TEXT_MAX_LENGTH) {
        throw new ValidationError('MESSAGE.TEXT_TOO_LONG', `A message is at most ${MESSAGE_TEXT_MAX_LENGTH} characters`, [
          { path: 'body.text', message: `At most ${MESSAGE_TEXT_MAX_LENGTH} characters` },
        ]);
      }
      return [{ type: 'MessageSent', data: { messageId, from, to, text, sentAt: command.metadata.now.toISOString() } }];
    }
    default:
      return assertNever(command.type);
  }
}

export const messageDecider: Decider<Message, MessageCommand, MessageSent> = { decide, evolve, initialState };
