// One comment, in its own stream: posted once, deleted at most once (a tombstone that stays in its thread). The poll
// and the comment replied to arrive in the command (loaded by the handler from their streams), so that the threading
// and the rules about them are decided here without I/O.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { Forbidden, IllegalState, NotFound, ValidationError } from '../kernel/errors.js';
import { COMMENT_TEXT_MAX_LENGTH, type CommentEvent } from './comment-events.js';

export type PostedComment = Readonly<{
  commentId: string;
  pollId: string;
  pollAuthorId: string;
  authorId: string;
  /** The top-level comment it hangs under, or null when it is one. */
  parentId: string | null;
  deleted: boolean;
}>;

export type Comment = Readonly<{ status: 'none' }> | (PostedComment & Readonly<{ status: 'posted' }>);

export const initialState = (): Comment => ({ status: 'none' });

export function evolve(state: Comment, event: CommentEvent): Comment {
  switch (event.type) {
    case 'CommentPosted': {
      const { commentId, pollId, pollAuthorId, authorId, parentId } = event.data;
      return { status: 'posted', commentId, pollId, pollAuthorId, authorId, parentId, deleted: false };
    }
    case 'CommentDeleted':
      return state.status === 'posted' ? { ...state, deleted: true } : state;
    default:
      return assertNever(event);
  }
}

/** `parent`: the comment named in the request as the one replied to (its state from its stream), or null. */
export type PostComment = Command<
  'PostComment',
  { commentId: string; poll: Readonly<{ pollId: string; authorId: string }>; authorId: string; text: string; parent: Comment | null; parentId: string | null }
>;

/** `byAdmin`: the caller holds the admin role, and may delete any comment. */
export type DeleteComment = Command<'DeleteComment', { commentId: string; deletedBy: string; byAdmin: boolean }>;

export type CommentCommand = PostComment | DeleteComment;

export const parentNotFound = (parentId: string): ValidationError =>
  new ValidationError('COMMENT.PARENT_NOT_FOUND', `Comment ${parentId} is not a comment of this poll`, [{ path: 'body.parentId', message: 'Not a comment of this poll' }]);

export function decide(command: CommentCommand, state: Comment): readonly CommentEvent[] {
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'PostComment': {
      const { commentId, poll, authorId, parent, parentId } = command.data;
      if (state.status !== 'none') return []; // the same minted id again: it ran before
      const text = command.data.text.trim();
      if (text.length === 0 || text.length > COMMENT_TEXT_MAX_LENGTH) {
        throw new ValidationError('COMMENT.INVALID_TEXT', `A comment is 1 to ${COMMENT_TEXT_MAX_LENGTH} characters`, [{ path: 'body.text', message: 'Empty or too long' }]);
      }
      let threadParentId: string | null = null;
      let repliedToAuthorId: string | null = null;
      if (parentId !== null) {
        if (parent === null || parent.status !== 'posted' || parent.pollId !== poll.pollId) throw parentNotFound(parentId);
        if (parent.deleted) throw new IllegalState('COMMENT.PARENT_DELETED', `Comment ${parentId} was deleted; it takes no replies`);
        // One level of nesting: a reply to a reply hangs under the same top-level comment.
        threadParentId = parent.parentId ?? parent.commentId;
        repliedToAuthorId = parent.authorId;
      }
      return [
        {
          type: 'CommentPosted',
          data: { commentId, pollId: poll.pollId, pollAuthorId: poll.authorId, authorId, parentId: threadParentId, repliedToAuthorId, text, postedAt: at },
        },
      ];
    }
    case 'DeleteComment': {
      const { commentId, deletedBy, byAdmin } = command.data;
      if (state.status === 'none') throw new NotFound('COMMENT.NOT_FOUND', `Comment ${commentId} does not exist`);
      if (state.authorId !== deletedBy && state.pollAuthorId !== deletedBy && !byAdmin) {
        throw new Forbidden('COMMENT.NOT_ALLOWED', 'Only the author of a comment, the author of its poll or an admin may delete it');
      }
      if (state.deleted) return [];
      return [{ type: 'CommentDeleted', data: { commentId, pollId: state.pollId, parentId: state.parentId, deletedBy, deletedAt: at } }];
    }
    default:
      return assertNever(command);
  }
}

export const commentDecider: Decider<Comment, CommentCommand, CommentEvent> = { decide, evolve, initialState };
