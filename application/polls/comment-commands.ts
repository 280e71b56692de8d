// Comment handlers: load → decide → append, one stream per comment. The poll and the comment replied to are read
// from their own streams (exact), and a comment on a poll the caller may not see is answered as if it did not exist.
import { commentDecider, parentNotFound, type Comment, type DeleteComment, type PostComment } from '../../domain/polls/comment-commands.js';
import { commentStreamId } from '../../domain/polls/comment-events.js';
import { NotFound } from '../../domain/kernel/errors.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import { foldStream } from '../kernel/fold-stream.js';
import { handleCommand, type CommandContext, type CommandDependencies, type CommandResult } from '../kernel/handle-command.js';
import type { EventStore } from '../ports/event-store.js';
import { pollVisibleTo, readPoll, readVisiblePoll, type Viewer } from './poll-access.js';

export type CommentCommandResult = CommandResult & Readonly<{ id: string }>;

export type PostCommentInput = Readonly<{ text: string; parentId: string | null }>;

/** A comment as its stream tells it (status none when it does not exist). */
export async function readComment(store: EventStore, commentId: string): Promise<Comment> {
  return (await foldStream(store, commentDecider, commentStreamId(commentId))).state;
}

const commentNotFound = (commentId: string): NotFound => new NotFound('COMMENT.NOT_FOUND', `Comment ${commentId} does not exist`);

export async function postComment(deps: CommandDependencies, pollId: string, author: Viewer, input: PostCommentInput, context: CommandContext): Promise<CommentCommandResult> {
  const poll = await readVisiblePoll(deps, author, pollId);
  let parent: Comment | null = null;
  const parentId = input.parentId === null ? null : input.parentId.toLowerCase();
  if (parentId !== null) {
    // Not a uuid: no comment has that id (and the store is never asked about it).
    if (!isUuid(parentId)) throw parentNotFound(parentId);
    parent = await readComment(deps.store, parentId);
  }
  const commentId = deps.ids.next();
  const result = await handleCommand(
    deps,
    commentDecider,
    commentStreamId(commentId),
    (now): PostComment => ({
      type: 'PostComment',
      data: { commentId, poll: { pollId: poll.pollId, authorId: poll.authorId }, authorId: author.sub, text: input.text, parent, parentId },
      metadata: { now },
    }),
    { ...context, newStream: true },
  );
  return { ...result, id: commentId };
}

/** Deletes (tombstones) a comment: its author, its poll's author or an admin. Deleting it again changes nothing. */
export async function deleteComment(deps: CommandDependencies, commentId: string, actor: Viewer, context: CommandContext): Promise<CommentCommandResult> {
  const comment = await readComment(deps.store, commentId);
  if (comment.status === 'none') throw commentNotFound(commentId);
  const poll = await readPoll(deps, comment.pollId);
  if (poll === null || !(await pollVisibleTo(deps, actor, poll))) throw commentNotFound(commentId);
  const byAdmin = actor.roles?.includes('admin') === true;
  const result = await handleCommand(
    deps,
    commentDecider,
    commentStreamId(commentId),
    (now): DeleteComment => ({ type: 'DeleteComment', data: { commentId, deletedBy: actor.sub, byAdmin }, metadata: { now } }),
    context,
  );
  return { ...result, id: commentId };
}
