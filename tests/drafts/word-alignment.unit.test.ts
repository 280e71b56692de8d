// Word alignment and WER on hand-computed cases: each expected count is worked out in the comment beside it.
import test from 'ava';
import type { EditCounts } from '../../domain/drafts/events.js';
import { wordErrors } from '../../domain/drafts/text-metrics.js';
import { alignWords, words, type AlignmentStep } from '../../domain/drafts/word-alignment.js';

/** The alignment's edits, to hold them against the evaluator's counts. */
function countEdits(steps: readonly AlignmentStep[]): EditCounts {
  const of = (kind: AlignmentStep['kind']) => steps.filter((step) => step.kind === kind).length;
  return { substitutions: of('substitute'), deletions: of('missing'), insertions: of('extra'), reference: steps.length - of('extra') };
}
/** The evaluator's WER of `hyp` against `ref`, compared word for word as given. */
const wordErrorRate = (hyp: readonly string[], ref: readonly string[]): number => wordErrors(ref, hyp).wer;

const w = (text: string): string[] => words(text);

test('one substituted and one lost word of six: WER 2/6', (t) => {
  // the=the cat=cat sit/sat on=on (the lost) mat=mat
  const steps = alignWords(w('the cat sit on mat'), w('the cat sat on the mat'));
  t.deepEqual(countEdits(steps), { substitutions: 1, deletions: 1, insertions: 0, reference: 6 });
  t.is(wordErrorRate(w('the cat sit on mat'), w('the cat sat on the mat')), 2 / 6);
});

test('a substitution and an extra word, step by step', (t) => {
  t.deepEqual(alignWords(w('a b c d'), w('a x c')), [
    { kind: 'equal', hyp: 'a', ref: 'a' },
    { kind: 'substitute', hyp: 'b', ref: 'x' },
    { kind: 'equal', hyp: 'c', ref: 'c' },
    { kind: 'extra', hyp: 'd' },
  ]);
  t.is(wordErrorRate(w('a b c d'), w('a x c')), 2 / 3);
});

test('fillers and spoken commands are insertions against the note', (t) => {
  // um and period are extra: 2 insertions over 2 reference words
  t.deepEqual(countEdits(alignWords(w('um the patient period'), w('the patient'))), { substitutions: 0, deletions: 0, insertions: 2, reference: 2 });
  t.is(wordErrorRate(w('um the patient period'), w('the patient')), 1);
});

test('a split word is a substitution and an insertion: hyper tension against hypertension', (t) => {
  t.deepEqual(countEdits(alignWords(w('history of hyper tension'), w('history of hypertension'))), { substitutions: 1, deletions: 0, insertions: 1, reference: 3 });
});

test('the minimum, not the first alignment found: a shifted sentence costs two edits, not four', (t) => {
  // x a b c against a b c y: drop x, add y
  t.is(wordErrorRate(w('x a b c'), w('a b c y')), 2 / 4);
});

test('empty sides: nothing against nothing is 0, words against nothing 1, nothing against words 1', (t) => {
  t.is(wordErrorRate([], []), 0);
  t.is(wordErrorRate(w('a b'), []), 1);
  t.deepEqual(countEdits(alignWords([], w('a b c'))), { substitutions: 0, deletions: 3, insertions: 0, reference: 3 });
  t.is(wordErrorRate([], w('a b c')), 1);
});

test('words split on any whitespace and keep their punctuation', (t) => {
  t.deepEqual(w(' HISTORY:  The patient.\n\nPLAN:\tRest '), ['HISTORY:', 'The', 'patient.', 'PLAN:', 'Rest']);
  t.is(wordErrorRate(w('the patient'), w('The patient.')), 1, 'compared as given: normalising is the caller\'s choice');
});
