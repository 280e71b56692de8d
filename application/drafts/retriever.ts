// The Retriever port: which past (draft, final note) pairs the DFN generation learns from. The full-text adapter
// (projections/drafts/full-text-retriever.ts) ranks by PostgreSQL text search; a vector adapter can take its place.

export type RetrievalQuery = Readonly<{
  /** The draft the note is for: never retrieved itself. */
  draftId: string;
  speakerId: string;
  /** The speaker's specialty; null: only the speaker's own pairs. */
  specialty: string | null;
  text: string;
  /** At most this many pairs. */
  limit: number;
}>;

export type RetrievedPair = Readonly<{
  draftId: string;
  speakerId: string;
  /** Whether the pair is the speaker's own (their own habits weigh first). */
  own: boolean;
  draft: string;
  finalNote: string;
  /** The adapter's relevance, higher is closer; comparable only within one answer. */
  score: number;
}>;

export interface Retriever {
  /** Pairs that have a final note, the speaker's own ranked above others' of the same specialty, best first. */
  retrieve(query: RetrievalQuery): Promise<readonly RetrievedPair[]>;
}

/** Words shorter than this say little about what a dictation is about. */
const MIN_TERM_LENGTH = 3;
/** Short, frequent words of dictation that would match every pair ('simple' text search keeps stop words). */
const COMMON_WORDS = new Set(
  ('the and for with was were are has had have not but this that from his her she him they them there their then than ' +
    'patient patients period comma new paragraph line also who which will would been being into over under about ' +
    'per any all one two three some other after before again today yesterday denies reports states noted').split(' '),
);

/**
 * What a draft is searched by: its most distinctive words, at most `max`, as plain lowercase letters and digits
 * (safe for to_tsquery whatever the draft holds). A 100k-character draft gives the same few dozen terms a short
 * one would: its words ranked by how often they occur, longer words first among equals (they are rarer in
 * language at large), common dictation words left out.
 */
export function searchTermsOf(text: string, max = 24): string[] {
  const counts = new Map<string, number>();
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const word = match[0];
    if (word.length < MIN_TERM_LENGTH || COMMON_WORDS.has(word) || /^\p{N}+$/u.test(word)) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a, countA], [b, countB]) => countB - countA || b.length - a.length || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, max)
    .map(([word]) => word);
}
