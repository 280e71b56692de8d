// A poll's comment threads: top-level comments oldest first (keyset pages), each with all its replies, oldest first.
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import type { CommentThreadRow } from './comments-projection.js';
import { decodeCursor, encodeCursor } from '../keyset-cursor.js';

export type CommentView = Readonly<{
  id: string;
  pollId: string;
  parentId: string | null;
  /** Null once deleted, like the text: a tombstone shows only its place. */
  authorId: string | null;
  repliedToAuthorId: string | null;
  text: string | null;
  deleted: boolean;
  postedAt: string;
  deletedAt: string | null;
}>;

export type CommentThreadView = CommentView & Readonly<{ replies: readonly CommentView[] }>;

const viewOf = (row: CommentThreadRow): CommentView => ({
  id: row.comment_id,
  pollId: row.poll_id,
  parentId: row.parent_id,
  authorId: row.author_id,
  repliedToAuthorId: row.replied_to_author_id,
  text: row.text,
  deleted: row.deleted,
  postedAt: row.posted_at.toISOString(),
  deletedAt: row.deleted_at?.toISOString() ?? null,
});

export async function listCommentThreads(
  db: Kysely<Schema>,
  pollId: string,
  { limit, cursor }: { limit: number; cursor?: string },
): Promise<{ items: CommentThreadView[]; nextCursor: string | null }> {
  let query = db
    .selectFrom('poll_comment_threads')
    .selectAll()
    .where('poll_id', '=', pollId)
    .where('parent_id', 'is', null)
    .orderBy('posted_at')
    .orderBy('comment_id')
    .limit(limit + 1);
  if (cursor !== undefined) {
    const [at, id] = decodeCursor(cursor);
    query = query.where((eb) => eb(eb.refTuple('posted_at', 'comment_id'), '>', eb.tuple(at, id)));
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const replies =
    page.length === 0
      ? []
      : await db
          .selectFrom('poll_comment_threads')
          .selectAll()
          .where('poll_id', '=', pollId)
          .where(
            'parent_id',
            'in',
            page.map((row) => row.comment_id),
          )
          .orderBy('posted_at')
          .orderBy('comment_id')
          .execute();
  const byParent = new Map<string, CommentView[]>();
  for (const reply of replies) byParent.set(reply.parent_id!, [...(byParent.get(reply.parent_id!) ?? []), viewOf(reply)]);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last.posted_at, last.comment_id) : null;
  return { items: page.map((row) => ({ ...viewOf(row), replies: byParent.get(row.comment_id) ?? [] })), nextCursor };
}

