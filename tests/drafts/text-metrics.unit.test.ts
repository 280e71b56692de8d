// WER, CER and ROUGE-L on cases computed by hand (the counts in the comments), the normalisation the README
// documents, and the bit-parallel distances checked against the textbook dynamic programme on random sequences.
import test from 'ava';
import {
  characterErrorRate,
  compareTexts,
  editDistance,
  evaluateDraft,
  longestCommonSubsequence,
  METRIC_VERSION,
  normalizedText,
  normalizedWords,
  rougeLF1,
  wordErrors,
} from '../../domain/drafts/text-metrics.js';

const words = (text: string): string[] => text.split(' ').filter((word) => word !== '');

/** Equal up to floating-point rounding (the hand-computed fractions are exact; their float quotients may differ in the last bit). */
const near = (actual: number, expected: number): boolean => Math.abs(actual - expected) < 1e-12;

test('normalisation: NFKC, lower case, punctuation dropped except inside words and numbers, digits kept', (t) => {
  t.deepEqual(normalizedWords('The Patient, aged 45, has X-ray results: 3.5 mm. Don’t worry!'), ['the', 'patient', 'aged', '45', 'has', 'x-ray', 'results', '3.5', 'mm', "don't", 'worry']);
  t.deepEqual(normalizedWords('ＢＰ １２０/８０ — ﬁne'), ['bp', '120', '80', 'fine'], 'full-width forms and ligatures (NFKC); / between numbers separates');
  t.deepEqual(normalizedWords('1,000 mg at 10:30; end.'), ['1,000', 'mg', 'at', '10:30', 'end']);
  t.deepEqual(normalizedWords('  \n\t... !!! '), []);
  t.deepEqual(normalizedWords('Ärztin über Öl, naïve café'), ['ärztin', 'über', 'öl', 'naïve', 'café']);
  t.is(normalizedText('Hello,   WORLD!\nNew line.'), 'hello world new line');
});

test('WER: identical texts have no errors, whatever the case and punctuation', (t) => {
  t.deepEqual(compareTexts('The cat sat.', 'the CAT sat'), { wer: 0, cer: 0, edits: { substitutions: 0, deletions: 0, insertions: 0, reference: 3 } });
});

test('WER: one substitution, one deletion, one insertion, counted by hand', (t) => {
  // ref: the cat sat on the mat (6)   hyp: the bat sat the mat down
  // the=the, cat→bat (S), sat=sat, on (D), the=the, mat=mat, down (I): S=1 D=1 I=1, WER = 3/6
  t.deepEqual(wordErrors(words('the cat sat on the mat'), words('the bat sat the mat down')), {
    wer: 0.5,
    edits: { substitutions: 1, deletions: 1, insertions: 1, reference: 6 },
  });
});

test('WER: all substituted, and insertions can take it above 1', (t) => {
  // ref: a b (2)   hyp: x y z → a→x (S), b→y (S), z (I): 3/2
  t.deepEqual(wordErrors(['a', 'b'], ['x', 'y', 'z']), { wer: 1.5, edits: { substitutions: 2, deletions: 0, insertions: 1, reference: 2 } });
  // ref: patient denies chest pain (4)   hyp: patient denies pain → chest (D): 1/4
  t.deepEqual(wordErrors(words('patient denies chest pain'), words('patient denies pain')), { wer: 0.25, edits: { substitutions: 0, deletions: 1, insertions: 0, reference: 4 } });
});

test('WER: fillers and dictated punctuation left in the raw draft are insertions', (t) => {
  // ref: history of present illness the patient is stable (8)
  // hyp: um history of present illness period the patient is uh stable period
  // um (I), period (I), uh (I), period (I): S=0 D=0 I=4, WER = 4/8
  const { wer, edits } = compareTexts('History of present illness. The patient is stable.', 'um history of present illness period the patient is uh stable period');
  t.is(wer, 0.5);
  t.deepEqual(edits, { substitutions: 0, deletions: 0, insertions: 4, reference: 8 });
});

test('WER: a swap of two words costs two substitutions, not a deletion and an insertion each', (t) => {
  // ref: left knee pain (3)   hyp: knee left pain → left→knee (S), knee→left (S): distance 2, fewest deletions
  t.deepEqual(wordErrors(['left', 'knee', 'pain'], ['knee', 'left', 'pain']), { wer: 2 / 3, edits: { substitutions: 2, deletions: 0, insertions: 0, reference: 3 } });
});

test('WER: empty reference or hypothesis', (t) => {
  t.deepEqual(wordErrors([], []), { wer: 0, edits: { substitutions: 0, deletions: 0, insertions: 0, reference: 0 } });
  // Nothing to divide by: 1 when the hypothesis says anything (all of it inserted).
  t.deepEqual(wordErrors([], ['a', 'b']), { wer: 1, edits: { substitutions: 0, deletions: 0, insertions: 2, reference: 0 } });
  // Every reference word missing: 3 deletions out of 3.
  t.deepEqual(wordErrors(['a', 'b', 'c'], []), { wer: 1, edits: { substitutions: 0, deletions: 3, insertions: 0, reference: 3 } });
});

test('CER: character edits over the normalised reference, in code points', (t) => {
  // "kitten" → "sitting": k→s, e→i, +g = 3 edits over 6 characters
  t.is(characterErrorRate('kitten', 'sitting'), 0.5);
  // "the cat" (7) vs "the bat": one substitution
  t.is(compareTexts('The cat!', 'the bat').cer, 1 / 7);
  // Astral characters count once: "a😀b" (3) vs "ab": one deletion
  t.is(characterErrorRate('a😀b', 'ab'), 1 / 3);
  t.is(characterErrorRate('', ''), 0);
  t.is(characterErrorRate('', 'abc'), 1);
});

test('ROUGE-L F1: longest common subsequence over words', (t) => {
  // ref: the cat sat on the mat (6)   hyp: the cat on a mat (5): LCS the cat on mat = 4
  // P = 4/5, R = 4/6, F1 = 2·(4/5)(4/6) / (4/5 + 4/6) = 8/11
  t.true(near(rougeLF1(words('the cat sat on the mat'), words('the cat on a mat')), 8 / 11));
  t.is(rougeLF1(['a', 'b'], ['a', 'b']), 1);
  t.is(rougeLF1(['a', 'b'], ['c']), 0);
  t.is(rougeLF1([], []), 1);
  t.is(rougeLF1(['a'], []), 0);
});

test('a draft evaluation: raw and DFN against the final note, the improvement and the metric version', (t) => {
  const finalNote = 'Assessment: stable angina. Plan: aspirin 75 mg daily.';
  // final: assessment stable angina plan aspirin 75 mg daily (8)
  // raw:   um assessment stable and china plan aspirin 75 mg daily → um (I), angina→and (S), china (I): 3/8
  // dfn:   assessment stable angina plan aspirin 75 mg → daily (D): 1/8
  const metrics = evaluateDraft({ raw: 'um assessment stable and china plan aspirin 75 mg daily', dfn: 'Assessment: stable angina. Plan: aspirin 75 mg.', finalNote });
  t.is(metrics.metricVersion, METRIC_VERSION);
  t.is(metrics.raw.wer, 3 / 8);
  t.deepEqual(metrics.raw.edits, { substitutions: 1, deletions: 0, insertions: 2, reference: 8 });
  t.is(metrics.dfn.wer, 1 / 8);
  t.deepEqual(metrics.dfn.edits, { substitutions: 0, deletions: 1, insertions: 0, reference: 8 });
  t.is(metrics.improvement, 3 / 8 - 1 / 8);
  // LCS 7 of the DFN's 7 and the note's 8: P = 1, R = 7/8, F1 = 14/15
  t.true(near(metrics.dfnRougeL, 14 / 15));
});

/** The textbook O(n·m) table. */
function levenshtein(a: readonly number[], b: readonly number[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

function lcs(a: readonly number[], b: readonly number[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const current = [0];
    for (let j = 1; j <= b.length; j++) current[j] = a[i - 1] === b[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!);
    previous = current;
  }
  return previous[b.length]!;
}

test('the bit-parallel distance and LCS, and the word alignment, agree with the textbook tables (lengths across block edges)', (t) => {
  let seed = 12345;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 400; round++) {
    const alphabet = 1 + Math.floor(random() * 6);
    const sequence = (): number[] => Array.from({ length: Math.floor(random() * 140) }, () => Math.floor(random() * alphabet));
    const a = sequence();
    const b = sequence();
    const expected = levenshtein(a, b);
    t.is(editDistance(Int32Array.from(a), Int32Array.from(b), alphabet), expected, `distance of ${a.length} and ${b.length}`);
    t.is(longestCommonSubsequence(Int32Array.from(a), Int32Array.from(b), alphabet), lcs(a, b), `LCS of ${a.length} and ${b.length}`);
    const { edits } = wordErrors(a.map(String), b.map(String));
    t.is(edits.substitutions + edits.deletions + edits.insertions, expected);
    t.is(edits.deletions - edits.insertions, a.length - b.length);
  }
});
