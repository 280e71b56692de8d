// The Retriever over PostgreSQL text search (the `drafts-retrieval` read model): candidates are the speaker's own
// pairs (whatever they are about: a speaker's habits, such as fillers and spoken commands, show in every one) and
// the pairs of speakers of the same specialty whose draft shares a search term with the new one; ranked by ts_rank
// (own pairs count double) plus, where pg_trgm is installed, trigram similarity of the drafts' openings, then the
// newest first. One SQL text per capability, the same on PGlite and on PostgreSQL.
import { sql, type Kysely } from 'kysely';
import { searchTermsOf, type RetrievalQuery, type RetrievedPair, type Retriever } from '../../application/drafts/retriever.js';
import type { Schema } from '../schema.js';

/** How much more a speaker's own pair weighs than a colleague's: their habits (fillers, spoken commands) are their own. */
export const OWN_PAIR_WEIGHT = 2;
/** Characters of each draft's opening compared by trigrams: bounded, so a 100k-character draft costs what a short one does. */
const TRIGRAM_WINDOW = 1000;
const TRIGRAM_WEIGHT = 0.5;
/** Newest matching pairs ranked per query. */
const CANDIDATES = 500;

type Row = { draft_id: string; speaker_id: string; draft_text: string; final_note: string; own: boolean; score: number | string };

export type FullTextRetrieverOptions = Readonly<{
  /** Use pg_trgm: undefined asks the database once whether it is installed. */
  trigrams?: boolean;
  maxTerms?: number;
}>;

export class FullTextRetriever implements Retriever {
  #trigrams: Promise<boolean> | undefined;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly options: FullTextRetrieverOptions = {},
  ) {
    if (options.trigrams !== undefined) this.#trigrams = Promise.resolve(options.trigrams);
  }

  /** Whether this retriever ranks by trigrams too. */
  usesTrigrams(): Promise<boolean> {
    this.#trigrams ??= hasTrigrams(this.db).catch((error: unknown) => {
      this.#trigrams = undefined; // asked again next time rather than remembered wrong
      throw error;
    });
    return this.#trigrams;
  }

  async retrieve({ draftId, speakerId, specialty, text, limit }: RetrievalQuery): Promise<readonly RetrievedPair[]> {
    if (limit <= 0) return [];
    const terms = searchTermsOf(text, this.options.maxTerms);
    const trigrams = await this.usesTrigrams();
    const own = sql`p.speaker_id = ${speakerId}`;
    // Only the newest matching candidates are ranked: ranking reads each one's vector, and a speaker or a specialty
    // with years of notes would otherwise cost a read of all of them per draft.
    const { rows } =
      terms.length === 0
        ? await sql<Row>`
            select p.draft_id, p.speaker_id, p.draft_text, p.final_note, true as own, 0 as score
            from drafts_retrieval_pairs p
            where p.speaker_id = ${speakerId} and p.final_note is not null and p.draft_id <> ${draftId}
            order by p.ingested_at desc, p.draft_id
            limit ${limit}`.execute(this.db)
        : await sql<Row>`
            select c.*, (ts_rank(c.draft_search, to_tsquery('simple', ${terms.join(' | ')}))${
              trigrams ? sql` + ${TRIGRAM_WEIGHT} * similarity(left(c.draft_text, ${TRIGRAM_WINDOW}), ${text.slice(0, TRIGRAM_WINDOW)}::text)` : sql``
            }) * (case when c.own then ${OWN_PAIR_WEIGHT} else 1 end) as score
            from (
              select p.draft_id, p.speaker_id, p.draft_text, p.final_note, p.draft_search, p.ingested_at, ${own} as own
              from drafts_retrieval_pairs p
              left join drafts_retrieval_speakers s on s.speaker_id = p.speaker_id
              where p.final_note is not null and p.draft_id <> ${draftId}
                and (${own}${specialty === null ? sql`` : sql` or (s.specialty = ${specialty} and p.draft_search @@ to_tsquery('simple', ${terms.join(' | ')}))`})
              order by p.ingested_at desc, p.draft_id
              limit ${CANDIDATES}
            ) c
            order by score desc, c.own desc, c.ingested_at desc, c.draft_id
            limit ${limit}`.execute(this.db);
    return rows.map((row) => ({
      draftId: row.draft_id,
      speakerId: row.speaker_id,
      own: row.own,
      draft: row.draft_text,
      finalNote: row.final_note,
      score: Number(row.score),
    }));
  }
}

/** Whether pg_trgm's functions can be called here (see migration 0022_drafts_retrieval). */
export async function hasTrigrams(db: Kysely<Schema>): Promise<boolean> {
  const { rows } = await sql<{ installed: boolean }>`select exists (select 1 from pg_extension where extname = 'pg_trgm') as installed`.execute(db);
  return rows[0]?.installed === true;
}
