import test from 'ava';
import { commentDecider, type Comment, type DeleteComment, type PostComment } from '../../domain/polls/comment-commands.js';
import type { CommentEvent } from '../../domain/polls/comment-events.js';
import { reactionDecider, type RemoveReaction, type SetReaction } from '../../domain/polls/reaction-commands.js';
import type { ReactionEvent, ReactionKind } from '../../domain/polls/reaction-events.js';
import { DeciderSpecification } from '../support/decider-specification.js';

const comments = DeciderSpecification(commentDecider);
const reactions = DeciderSpecification(reactionDecider);

const now = new Date('2026-11-22T10:00:00.000Z');
const at = now.toISOString();
const pollId = '01a2041a-9df6-7589-a81b-b54b1095756f';
const otherPollId = '01a2041a-9df6-7589-a81b-b54b10957570';
const poll = { pollId, authorId: 'alice' };

const posted = (commentId: string, authorId: string, parentId: string | null = null, repliedToAuthorId: string | null = null, text = 'Tea!'): CommentEvent => ({
  type: 'CommentPosted',
  data: { commentId, pollId, pollAuthorId: 'alice', authorId, parentId, repliedToAuthorId, text, postedAt: at },
});
const deleted = (commentId: string, deletedBy: string, parentId: string | null = null): CommentEvent => ({
  type: 'CommentDeleted',
  data: { commentId, pollId, parentId, deletedBy, deletedAt: at },
});
/** A comment's state as its handler loads it: folded from its stream. */
const stateOf = (events: readonly CommentEvent[]): Comment => events.reduce(commentDecider.evolve, commentDecider.initialState());

const post = (commentId: string, authorId: string, parent: Comment | null = null, parentId: string | null = null, text = 'Tea!'): PostComment => ({
  type: 'PostComment',
  data: { commentId, poll, authorId, text, parent, parentId },
  metadata: { now },
});
const remove = (commentId: string, deletedBy: string, byAdmin = false): DeleteComment => ({ type: 'DeleteComment', data: { commentId, deletedBy, byAdmin }, metadata: { now } });

test('a top-level comment is posted, trimmed, with the poll\'s author', (t) => {
  comments.given([]).when(post('c-1', 'bob', null, null, '  Tea!  ')).then(t, [posted('c-1', 'bob')]);
});

test('a reply hangs under the comment it names, to whose author it replies', (t) => {
  const parent = stateOf([posted('c-1', 'bob')]);
  comments.given([]).when(post('c-2', 'carol', parent, 'c-1')).then(t, [posted('c-2', 'carol', 'c-1', 'bob')]);
});

test('a reply to a reply hangs under the same top-level comment, replying to the reply\'s author', (t) => {
  const reply = stateOf([posted('c-2', 'carol', 'c-1', 'bob')]);
  comments.given([]).when(post('c-3', 'dave', reply, 'c-2')).then(t, [posted('c-3', 'dave', 'c-1', 'carol')]);
});

test('a parent that does not exist, or is a comment of another poll, is COMMENT.PARENT_NOT_FOUND', (t) => {
  comments.given([]).when(post('c-2', 'carol', stateOf([]), 'c-9')).thenThrows(t, 'COMMENT.PARENT_NOT_FOUND');
  comments.given([]).when(post('c-2', 'carol', null, 'c-9')).thenThrows(t, 'COMMENT.PARENT_NOT_FOUND');
  const elsewhere: Comment = { status: 'posted', commentId: 'c-8', pollId: otherPollId, pollAuthorId: 'zoe', authorId: 'bob', parentId: null, deleted: false };
  comments.given([]).when(post('c-2', 'carol', elsewhere, 'c-8')).thenThrows(t, 'COMMENT.PARENT_NOT_FOUND');
});

test('a deleted comment takes no replies', (t) => {
  const gone = stateOf([posted('c-1', 'bob'), deleted('c-1', 'bob')]);
  comments.given([]).when(post('c-2', 'carol', gone, 'c-1')).thenThrows(t, 'COMMENT.PARENT_DELETED');
});

test('blank or too long text is COMMENT.INVALID_TEXT', (t) => {
  comments.given([]).when(post('c-1', 'bob', null, null, '   ')).thenThrows(t, 'COMMENT.INVALID_TEXT');
  comments.given([]).when(post('c-1', 'bob', null, null, 'x'.repeat(2001))).thenThrows(t, 'COMMENT.INVALID_TEXT');
  comments.given([]).when(post('c-1', 'bob', null, null, 'x'.repeat(2000))).then(t, [posted('c-1', 'bob', null, null, 'x'.repeat(2000))]);
});

test('posting the same minted id again decides nothing', (t) => {
  comments.given([posted('c-1', 'bob')]).when(post('c-1', 'bob')).then(t, []);
});

test('its author, its poll\'s author and an admin delete a comment, keeping its thread', (t) => {
  comments.given([posted('c-2', 'carol', 'c-1', 'bob')]).when(remove('c-2', 'carol')).then(t, [deleted('c-2', 'carol', 'c-1')]);
  comments.given([posted('c-1', 'bob')]).when(remove('c-1', 'alice')).then(t, [deleted('c-1', 'alice')]);
  comments.given([posted('c-1', 'bob')]).when(remove('c-1', 'root', true)).then(t, [deleted('c-1', 'root')]);
});

test('anyone else may not delete a comment (the author of the comment replied to neither)', (t) => {
  comments.given([posted('c-1', 'bob')]).when(remove('c-1', 'carol')).thenThrows(t, 'COMMENT.NOT_ALLOWED');
  comments.given([posted('c-2', 'carol', 'c-1', 'bob')]).when(remove('c-2', 'bob')).thenThrows(t, 'COMMENT.NOT_ALLOWED');
});

test('deleting a deleted comment decides nothing; deleting one that does not exist is COMMENT.NOT_FOUND', (t) => {
  comments.given([posted('c-1', 'bob'), deleted('c-1', 'bob')]).when(remove('c-1', 'bob')).then(t, []);
  comments.given([]).when(remove('c-1', 'bob')).thenThrows(t, 'COMMENT.NOT_FOUND');
});

const set = (kind: ReactionKind): SetReaction => ({ type: 'SetReaction', data: { pollId, userId: 'bob', kind }, metadata: { now } });
const unset = (): RemoveReaction => ({ type: 'RemoveReaction', data: { pollId, userId: 'bob' }, metadata: { now } });
const reactionSet = (kind: ReactionKind, previous: ReactionKind | null = null): ReactionEvent => ({ type: 'ReactionSet', data: { pollId, userId: 'bob', kind, previous, at } });
const reactionRemoved = (kind: ReactionKind): ReactionEvent => ({ type: 'ReactionRemoved', data: { pollId, userId: 'bob', kind, at } });

test('a first reaction is set, with no previous kind', (t) => {
  reactions.given([]).when(set('like')).then(t, [reactionSet('like')]);
});

test('another kind replaces the reaction, naming the kind it replaces', (t) => {
  reactions.given([reactionSet('like')]).when(set('wow')).then(t, [reactionSet('wow', 'like')]);
  reactions.given([reactionSet('like'), reactionSet('wow', 'like')]).when(set('like')).then(t, [reactionSet('like', 'wow')]);
});

test('setting the kind the user has decides nothing', (t) => {
  reactions.given([reactionSet('love')]).when(set('love')).then(t, []);
});

test('a reaction is removed, and may be set again with no previous kind', (t) => {
  reactions.given([reactionSet('sad')]).when(unset()).then(t, [reactionRemoved('sad')]);
  reactions.given([reactionSet('sad'), reactionRemoved('sad')]).when(set('angry')).then(t, [reactionSet('angry')]);
});

test('removing a reaction that is not there is REACTION.NOT_FOUND', (t) => {
  reactions.given([]).when(unset()).thenThrows(t, 'REACTION.NOT_FOUND');
  reactions.given([reactionSet('sad'), reactionRemoved('sad')]).when(unset()).thenThrows(t, 'REACTION.NOT_FOUND');
});
