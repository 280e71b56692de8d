// How close a text came to a reference (the final note): word error rate with its substitutions, deletions and
// insertions, character error rate, and ROUGE-L F1. Pure functions, linear memory, for texts up to 100k characters.
//
// Normalisation (METRIC_VERSION 1), applied to both texts before any metric:
//  1. Unicode NFKC (full-width letters and digits, ligatures, superscripts become their plain forms), then lower case
//     (String.prototype.toLowerCase: locale-independent). The typographic apostrophe ’ becomes '.
//  2. Tokens are maximal runs of letters, combining marks and digits (\p{L}\p{M}\p{N}); within a token an apostrophe
//     or a hyphen between two such characters is kept ("don't", "x-ray"), and so is a `.`, `,` or `:` between two
//     digits ("3.5", "1,000", "10:30"). Every other character (punctuation, symbols, spaces, line breaks) only
//     separates tokens and is dropped.
//  3. Numbers stay as written, digits as tokens: "5" and "five" are different words (no spelling out).
// Words are those tokens; the character level is the tokens joined by single spaces, counted in code points.
//
// Rates: WER = (S + D + I) / N over words, CER = character edit distance / N over characters, N the reference's
// length after normalisation. Both can exceed 1 (insertions). An empty reference gives 0 against an empty
// hypothesis and 1 against anything else (every word inserted, where dividing by zero says nothing).
// ROUGE-L F1 = 2PR / (P + R) with P = LCS / |hypothesis| and R = LCS / |reference| over words; 1 when both are
// empty, 0 when either alone is (or nothing is shared).
import type { EditCounts } from './events.js';

export const METRIC_VERSION = 1;

const TOKEN = /[\p{L}\p{M}\p{N}]+(?:(?:['-]|(?<=\p{N})[.,:](?=\p{N}))[\p{L}\p{M}\p{N}]+)*/gu;

/** The words of a text, normalised as the module's opening says. */
export function normalizedWords(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().replaceAll('\u2019', "'").match(TOKEN) ?? [];
}

/** The normalised text the character level compares: the words joined by single spaces. */
export const normalizedText = (text: string): string => normalizedWords(text).join(' ');

export type WordErrors = Readonly<{ wer: number; edits: EditCounts }>;

export type TextComparison = Readonly<{ wer: number; cer: number; edits: EditCounts }>;

export type DraftEvaluationMetrics = Readonly<{
  raw: TextComparison;
  dfn: TextComparison;
  dfnRougeL: number;
  /** raw.wer - dfn.wer. */
  improvement: number;
  metricVersion: number;
}>;

/** Both texts' tokens as small integers (equal tokens, equal ids): comparisons then run on typed arrays. */
function encode(a: readonly string[], b: readonly string[]): [Int32Array, Int32Array, number] {
  const ids = new Map<string, number>();
  const idOf = (token: string): number => {
    let id = ids.get(token);
    if (id === undefined) {
      id = ids.size;
      ids.set(token, id);
    }
    return id;
  };
  return [Int32Array.from(a, idOf), Int32Array.from(b, idOf), ids.size];
}

/** The lengths of the common prefix and (of what remains) the common suffix: edits never need them. */
function commonEnds(a: Int32Array, b: Int32Array): [number, number] {
  const shorter = Math.min(a.length, b.length);
  let prefix = 0;
  while (prefix < shorter && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  return [prefix, suffix];
}

const rate = (errors: number, reference: number): number => (reference === 0 ? (errors === 0 ? 0 : 1) : errors / reference);

/**
 * Word-level Levenshtein alignment of `hypothesis` against `reference`, with its substitutions, deletions (reference
 * words missing) and insertions (extra hypothesis words). Among the minimal alignments it takes the one with the
 * fewest deletions, hence the fewest insertions and the most substitutions (on any path to cell (i, j),
 * D - I = i - j, so D alone fixes I, and S = cost - D - I): each cell keeps cost · 2^17 + D in one float64 (exact
 * to 2^53), and the smallest key is the cheapest path with the fewest deletions. One pass over two rows: linear
 * memory, no backtrace.
 */
export function wordErrors(reference: readonly string[], hypothesis: readonly string[]): WordErrors {
  const [ref, hyp] = encode(reference, hypothesis);
  const edits = wordEdits(ref, hyp);
  return { wer: rate(edits.substitutions + edits.deletions + edits.insertions, ref.length), edits };
}

/** One unit of cost in a cell's key; deletions (at most 100k words) stay below it. */
const COST = 2 ** 17;

function wordEdits(reference: Int32Array, hypothesis: Int32Array): EditCounts {
  const [prefix, suffix] = commonEnds(reference, hypothesis);
  const ref = reference.subarray(prefix, reference.length - suffix);
  const hyp = hypothesis.subarray(prefix, hypothesis.length - suffix);
  const n = ref.length;
  const m = hyp.length;
  if (n === 0 || m === 0) return { substitutions: 0, deletions: n, insertions: m, reference: reference.length };
  let previous = new Float64Array(m + 1);
  let current = new Float64Array(m + 1);
  for (let j = 0; j <= m; j++) previous[j] = j * COST; // j insertions
  for (let i = 1; i <= n; i++) {
    current[0] = i * (COST + 1); // i deletions
    const word = ref[i - 1];
    let left = current[0];
    for (let j = 1; j <= m; j++) {
      const diagonal = previous[j - 1]! + (word === hyp[j - 1] ? 0 : COST);
      const deleting = previous[j]! + COST + 1;
      const inserting = left + COST;
      left = diagonal < deleting ? (diagonal < inserting ? diagonal : inserting) : deleting < inserting ? deleting : inserting;
      current[j] = left;
    }
    [previous, current] = [current, previous];
  }
  const key = previous[m]!;
  const deletions = key % COST;
  const distance = (key - deletions) / COST;
  const insertions = deletions - n + m;
  return { substitutions: distance - deletions - insertions, deletions, insertions, reference: reference.length };
}

/**
 * Levenshtein distance by Myers' bit-parallel algorithm in 32-bit blocks (Myers 1999, the block form): the shorter
 * sequence is the pattern, one bit per symbol, and each symbol of the longer advances every block a word at a time.
 * O(⌈m/32⌉·n) time and O(⌈m/32⌉·σ) memory, σ the number of distinct symbols.
 */
export function editDistance(a: Int32Array, b: Int32Array, symbols: number): number {
  const [prefix, suffix] = commonEnds(a, b);
  let pattern = a.subarray(prefix, a.length - suffix);
  let text = b.subarray(prefix, b.length - suffix);
  if (pattern.length > text.length) [pattern, text] = [text, pattern];
  const m = pattern.length;
  if (m === 0) return text.length;
  const blocks = Math.ceil(m / 32);
  // Peq[symbol * blocks + block]: the pattern's positions holding the symbol.
  const peq = new Int32Array(symbols * blocks);
  for (let i = 0; i < m; i++) peq[pattern[i]! * blocks + (i >>> 5)]! |= 1 << (i & 31);
  const positive = new Int32Array(blocks).fill(-1);
  const negative = new Int32Array(blocks);
  const last = blocks - 1;
  const lastHigh = 1 << ((m - 1) & 31);
  let score = m;
  for (let j = 0; j < text.length; j++) {
    const base = text[j]! * blocks;
    let carry = 1; // the top row rises by one per column
    for (let block = 0; block <= last; block++) {
      let eq = peq[base + block]!;
      const pv = positive[block]!;
      const mv = negative[block]!;
      const xv = eq | mv;
      if (carry < 0) eq |= 1;
      const xh = (((eq & pv) + pv) ^ pv) | eq;
      let ph = mv | ~(xh | pv);
      let mh = pv & xh;
      const high = block === last ? lastHigh : -2147483648;
      const out = (ph & high) !== 0 ? 1 : (mh & high) !== 0 ? -1 : 0;
      ph = (ph << 1) | (carry > 0 ? 1 : 0);
      mh = (mh << 1) | (carry < 0 ? 1 : 0);
      positive[block] = mh | ~(xv | ph);
      negative[block] = ph & xv;
      carry = out;
    }
    score += carry;
  }
  return score;
}

/**
 * Length of the longest common subsequence, bit-parallel (Hyyrö 2004): V' = (V + (V & M)) | (V & ~M), the
 * addition carrying across 32-bit words; the LCS is the number of zero bits among the pattern's.
 */
export function longestCommonSubsequence(a: Int32Array, b: Int32Array, symbols: number): number {
  const [prefix, suffix] = commonEnds(a, b);
  let pattern = a.subarray(prefix, a.length - suffix);
  let text = b.subarray(prefix, b.length - suffix);
  if (pattern.length > text.length) [pattern, text] = [text, pattern];
  const m = pattern.length;
  if (m === 0) return prefix + suffix;
  const words = Math.ceil(m / 32);
  const match = new Uint32Array(symbols * words);
  for (let i = 0; i < m; i++) match[pattern[i]! * words + (i >>> 5)]! |= 1 << (i & 31);
  const v = new Uint32Array(words).fill(0xffffffff);
  for (let j = 0; j < text.length; j++) {
    const base = text[j]! * words;
    let carry = 0;
    for (let w = 0; w < words; w++) {
      const x = v[w]!;
      const u = x & match[base + w]!;
      const sum = x + (u >>> 0) + carry;
      carry = sum > 0xffffffff ? 1 : 0;
      v[w] = (sum >>> 0) | (x & ~match[base + w]!);
    }
  }
  let ones = 0;
  for (let i = 0; i < m; i++) if ((v[i >>> 5]! >>> (i & 31)) & 1) ones++;
  return prefix + suffix + (m - ones);
}

/** ROUGE-L F1 of `hypothesis` against `reference`, over words (see the module's opening for the edge cases). */
export function rougeLF1(reference: readonly string[], hypothesis: readonly string[]): number {
  if (reference.length === 0 && hypothesis.length === 0) return 1;
  if (reference.length === 0 || hypothesis.length === 0) return 0;
  const [ref, hyp, symbols] = encode(reference, hypothesis);
  const lcs = longestCommonSubsequence(ref, hyp, symbols);
  if (lcs === 0) return 0;
  const precision = lcs / hyp.length;
  const recall = lcs / ref.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Character error rate of two normalised texts, over code points. */
export function characterErrorRate(reference: string, hypothesis: string): number {
  const ref = Array.from(reference, (ch) => ch.codePointAt(0)!);
  const hyp = Array.from(hypothesis, (ch) => ch.codePointAt(0)!);
  const [a, b, symbols] = encode(ref.map(String), hyp.map(String));
  return rate(editDistance(a, b, symbols), a.length);
}

/** WER and CER (with the word edits) of two texts' normalised words. */
function compareWords(reference: readonly string[], hypothesis: readonly string[]): TextComparison {
  const { wer, edits } = wordErrors(reference, hypothesis);
  return { wer, cer: characterErrorRate(reference.join(' '), hypothesis.join(' ')), edits };
}

/** WER and CER (with the word edits) of a hypothesis against a reference, both raw texts. */
export const compareTexts = (reference: string, hypothesis: string): TextComparison => compareWords(normalizedWords(reference), normalizedWords(hypothesis));

/** Everything EvaluationCompleted reports on a draft: its raw text and its DFN against the final note. */
export function evaluateDraft(texts: Readonly<{ raw: string; dfn: string; finalNote: string }>): DraftEvaluationMetrics {
  // Each text normalised once: up to 100k characters each, and the final note serves three comparisons.
  const finalNote = normalizedWords(texts.finalNote);
  const dfnWords = normalizedWords(texts.dfn);
  const raw = compareWords(finalNote, normalizedWords(texts.raw));
  const dfn = compareWords(finalNote, dfnWords);
  return { raw, dfn, dfnRougeL: rougeLF1(finalNote, dfnWords), improvement: raw.wer - dfn.wer, metricVersion: METRIC_VERSION };
}

/**
 * At most how many elementary steps evaluateDraft takes, to decide whether it may run on the event loop: the word
 * alignments' cells (a text of n characters has at most ⌈n/2⌉ words) plus the character level's 32-symbol blocks.
 * Counted from lengths alone, so that deciding costs nothing for the large texts that go elsewhere.
 */
export function evaluationCost(texts: Readonly<{ raw: string; dfn: string; finalNote: string }>): number {
  const reference = texts.finalNote.length;
  const pair = (other: string): number => Math.ceil(reference / 2) * Math.ceil(other.length / 2) + Math.ceil(Math.min(reference, other.length) / 32) * Math.max(reference, other.length);
  return pair(texts.raw) + pair(texts.dfn);
}
