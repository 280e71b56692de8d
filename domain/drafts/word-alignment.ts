// Word-level alignment of a hypothesis (a draft) to a reference (its final note) by edit distance: the minimum
// number of substituted, deleted and inserted words, and one alignment that achieves it. The DFN's local provider
// learns corrections from it; the word error rate is its edits over the reference's words.

/** One step of an alignment: `hyp` is the draft's word, `ref` the final note's. */
export type AlignmentStep =
  | Readonly<{ kind: 'equal'; hyp: string; ref: string }>
  | Readonly<{ kind: 'substitute'; hyp: string; ref: string }>
  /** A draft word the final note has not: in WER terms an insertion (the hypothesis says too much). */
  | Readonly<{ kind: 'extra'; hyp: string }>
  /** A final-note word the draft has not: in WER terms a deletion (the hypothesis lost it). */
  | Readonly<{ kind: 'missing'; ref: string }>;

/**
 * Splits on whitespace, keeping punctuation on its word: "HISTORY:" and "tension." are words of their own. Callers
 * that want case- or punctuation-blind comparison normalise the words first.
 */
export const words = (text: string): string[] => text.split(/\s+/u).filter((word) => word !== '');

/**
 * An alignment with the fewest edits (Levenshtein over words, every edit costing 1). Among equally short ones,
 * the backtrace prefers a match, then a substitution, then an extra draft word, then a missing one, so it is deterministic.
 * O(n·m) time and memory: callers bound the texts they align.
 */
export function alignWords(hyp: readonly string[], ref: readonly string[]): AlignmentStep[] {
  const n = hyp.length;
  const m = ref.length;
  const width = m + 1;
  const cost = new Uint32Array((n + 1) * width);
  for (let j = 0; j <= m; j++) cost[j] = j;
  for (let i = 1; i <= n; i++) {
    cost[i * width] = i;
    for (let j = 1; j <= m; j++) {
      const diagonal = cost[(i - 1) * width + j - 1]! + (hyp[i - 1] === ref[j - 1] ? 0 : 1);
      const extra = cost[(i - 1) * width + j]! + 1;
      const missing = cost[i * width + j - 1]! + 1;
      cost[i * width + j] = Math.min(diagonal, extra, missing);
    }
  }
  const steps: AlignmentStep[] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const here = cost[i * width + j]!;
    if (i > 0 && j > 0) {
      const same = hyp[i - 1] === ref[j - 1];
      if (here === cost[(i - 1) * width + j - 1]! + (same ? 0 : 1)) {
        steps.push(same ? { kind: 'equal', hyp: hyp[i - 1]!, ref: ref[j - 1]! } : { kind: 'substitute', hyp: hyp[i - 1]!, ref: ref[j - 1]! });
        i--;
        j--;
        continue;
      }
    }
    if (i > 0 && here === cost[(i - 1) * width + j]! + 1) {
      steps.push({ kind: 'extra', hyp: hyp[i - 1]! });
      i--;
      continue;
    }
    steps.push({ kind: 'missing', ref: ref[j - 1]! });
    j--;
  }
  return steps.reverse();
}
