// The comment threads read model: one row per comment stream, with its stream's revision, so that applying an event
// twice changes nothing. A deleted comment stays as a tombstone: its place in the thread, without text or authors.
import { sql, type Selectable, type Transaction } from 'kysely';
import { assertNever } from '../../domain/kernel/decider.js';
import { COMMENT_EVENT_TYPES, type CommentEvent } from '../../domain/polls/comment-events.js';
import type { RecordedEvent } from '../../application/ports/event-store.js';
import type { Projection } from '../projection.js';
import type { Schema } from '../schema.js';
import type { PollCommentThreadsTable } from './engagement-schema.js';

export type CommentThreadRow = Selectable<PollCommentThreadsTable>;

export function evolveCommentThread(row: CommentThreadRow | null, event: RecordedEvent): CommentThreadRow | null {
  if (row !== null && event.revision <= row.revision) return row;
  const commentEvent = event as unknown as CommentEvent;
  switch (commentEvent.type) {
    case 'CommentPosted': {
      const { commentId, pollId, parentId, authorId, repliedToAuthorId, text, postedAt } = commentEvent.data;
      return {
        comment_id: commentId,
        poll_id: pollId,
        parent_id: parentId,
        author_id: authorId,
        replied_to_author_id: repliedToAuthorId,
        text,
        deleted: false,
        posted_at: new Date(postedAt),
        deleted_at: null,
        revision: event.revision,
      };
    }
    case 'CommentDeleted':
      // A deletion is never the first event of its stream; without the post there is no place to keep.
      if (row === null) return null;
      return { ...row, author_id: null, replied_to_author_id: null, text: null, deleted: true, deleted_at: new Date(commentEvent.data.deletedAt), revision: event.revision };
    default:
      return assertNever(commentEvent);
  }
}

async function apply(tx: Transaction<Schema>, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const ids = [...new Set(events.map((event) => (event.data as { commentId: string }).commentId))];
  const before = new Map(
    (await sql<CommentThreadRow>`select /* plan per run */ * from poll_comment_threads where comment_id = any(${ids}::text[])`.execute(tx)).rows.map((row) => [row.comment_id, row]),
  );
  const after = new Map<string, CommentThreadRow | null>(before);
  for (const event of events) {
    const id = (event.data as { commentId: string }).commentId;
    after.set(id, evolveCommentThread(after.get(id) ?? null, event));
  }
  const rows = [...after].flatMap(([id, row]) => (row !== null && row !== before.get(id) ? [row] : []));
  if (rows.length === 0) return;
  const column = <T>(pick: (row: CommentThreadRow) => T): T[] => rows.map(pick);
  await sql`
    insert /* plan per run */ into poll_comment_threads (comment_id, poll_id, parent_id, author_id, replied_to_author_id, text, deleted, posted_at, deleted_at, revision)
    select * from unnest(${column((r) => r.comment_id)}::text[], ${column((r) => r.poll_id)}::uuid[], ${column((r) => r.parent_id)}::text[],
      ${column((r) => r.author_id)}::text[], ${column((r) => r.replied_to_author_id)}::text[], ${column((r) => r.text)}::text[],
      ${column((r) => r.deleted)}::boolean[], ${column((r) => r.posted_at.toISOString())}::timestamptz[],
      ${column((r) => r.deleted_at?.toISOString() ?? null)}::timestamptz[], ${column((r) => r.revision)}::integer[])
    on conflict (comment_id) do update set author_id = excluded.author_id, replied_to_author_id = excluded.replied_to_author_id, text = excluded.text,
      deleted = excluded.deleted, deleted_at = excluded.deleted_at, revision = excluded.revision`.execute(tx);
}

export const pollCommentsProjection: Projection = {
  name: 'poll-comments',
  version: 1,
  categories: ['comment'],
  handles: [...COMMENT_EVENT_TYPES],
  tables: ['poll_comment_threads'],
  apply,
};
