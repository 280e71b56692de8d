// Comments: one stream per comment. Threads nest one level: a reply to a reply attaches to the same top-level
// parent, decided when the reply is posted. The authors a notification needs travel with the event.
import type { Event } from '../kernel/decider.js';

export const COMMENT_TEXT_MAX_LENGTH = 2000;

export const commentStreamId = (commentId: string): string => `comment-${commentId}`;

export type CommentPosted = Event<
  'CommentPosted',
  {
    commentId: string;
    pollId: string;
    pollAuthorId: string;
    authorId: string;
    /** The top-level comment this one replies to, or null for a top-level comment. */
    parentId: string | null;
    /** The author of the comment replied to (the one named in the request, before flattening), or null. */
    repliedToAuthorId: string | null;
    text: string;
    postedAt: string;
  }
>;

/** The comment stays in its thread as a tombstone. */
export type CommentDeleted = Event<'CommentDeleted', { commentId: string; pollId: string; parentId: string | null; deletedBy: string; deletedAt: string }>;

export type CommentEvent = CommentPosted | CommentDeleted;
export const COMMENT_EVENT_TYPES: readonly CommentEvent['type'][] = ['CommentPosted', 'CommentDeleted'];
