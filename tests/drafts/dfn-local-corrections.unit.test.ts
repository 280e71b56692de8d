// The local provider's corrections, one kind at a time: what recurs across pairs is applied, what is seen once or
// contradicted is not.
import test from 'ava';
import { applyCorrections, correctDraft } from '../../infrastructure/ai/local/apply-corrections.js';
import { learnCorrections, type TrainingPair } from '../../infrastructure/ai/local/draft-corrections.js';

const pair = (draft: string, finalNote: string): TrainingPair => ({ draft, finalNote });

test('fillers every note drops are dropped', (t) => {
  const pairs = [
    pair('the knee uh hurts when walking', 'the knee hurts when walking'),
    pair('uh swelling of the ankle', 'swelling of the ankle'),
    pair('no fever uh today', 'no fever today'),
  ];
  t.true(learnCorrections(pairs).dropped.has('uh'));
  t.is(correctDraft('uh the wrist uh is sore', pairs), 'the wrist is sore');
});

test('a word dropped in one pair only is kept', (t) => {
  const pairs = [pair('the knee er hurts er badly', 'the knee hurts badly'), pair('swelling of the ankle', 'swelling of the ankle')];
  t.false(learnCorrections(pairs).dropped.has('er'), 'seen twice, but in one pair');
  t.is(correctDraft('er the wrist is sore', pairs), 'er the wrist is sore');
});

test('spoken commands become punctuation and paragraphs, and sentences start with capitals', (t) => {
  const pairs = [
    pair('the patient is well period no fever comma no cough period new paragraph plan rest period', 'The patient is well. No fever, no cough.\n\nPlan rest.'),
    pair('knee pain period worse at night comma mostly period new paragraph review in two weeks period', 'Knee pain. Worse at night, mostly.\n\nReview in two weeks.'),
  ];
  const { dropped } = learnCorrections(pairs);
  t.deepEqual([...dropped].sort(), ['comma', 'new paragraph', 'period']);
  t.is(correctDraft('ankle sprain period ice comma rest period new paragraph follow up period', pairs), 'Ankle sprain. Ice, rest.\n\nFollow up.');
});

test('a command word the notes keep as a word stays a word', (t) => {
  const pairs = [
    pair('rest for a period of two weeks', 'rest for a period of two weeks'),
    pair('a period of observation period', 'a period of observation.'),
    pair('pain free period', 'pain free.'),
  ];
  t.false(learnCorrections(pairs).dropped.has('period'), 'dropped twice, kept twice: not consistent enough');
});

test('a recurring misrecognition is corrected, also as a two-word phrase', (t) => {
  const pairs = [
    pair('history of hyper tension and diabetes', 'history of hypertension and diabetes'),
    pair('treated hyper tension with lisinopril', 'treated hypertension with lisinopril'),
    pair('started on meta prolol daily', 'started on metoprolol daily'),
    pair('continue meta prolol as before', 'continue metoprolol as before'),
  ];
  const { replacements } = learnCorrections(pairs);
  t.deepEqual(replacements.get('hyper tension'), ['hypertension']);
  t.deepEqual(replacements.get('meta prolol'), ['metoprolol']);
  t.is(correctDraft('known hyper tension on meta prolol', pairs), 'known hypertension on metoprolol');
});

test('a correction contradicted as often as it is made is not applied', (t) => {
  const pairs = [
    pair('the patient is stable', 'the patient is well'),
    pair('remains stable overnight', 'remains well overnight'),
    pair('stable vital signs', 'stable vital signs'),
    pair('stable gait', 'stable gait'),
  ];
  t.false(learnCorrections(pairs).replacements.has('stable'));
  t.is(correctDraft('stable', pairs), 'stable');
});

test('a recurring heading is inserted once, where the notes put it', (t) => {
  const pairs = [
    pair('the patient reports knee pain on examination there is swelling', 'HISTORY: the patient reports knee pain\nEXAMINATION: on examination there is swelling'),
    pair('the patient has a cough on examination the chest is clear', 'HISTORY: the patient has a cough\nEXAMINATION: on examination the chest is clear'),
    pair('headache for two days on examination no deficit', 'HISTORY: headache for two days\nEXAMINATION: on examination no deficit'),
  ];
  const { insertions } = learnCorrections(pairs);
  t.like(insertions.get('L:^'), { text: 'HISTORY:', lineStart: true });
  t.like(insertions.get('R:on examination'), { text: 'EXAMINATION:', lineStart: true });
  t.is(correctDraft('back pain since monday on examination tender spine', pairs), 'HISTORY: back pain since monday\nEXAMINATION: on examination tender spine');
});

test('nothing learned, nothing changed; a draft of nothing but fillers stays as it was', (t) => {
  const nothing = learnCorrections([]);
  t.is(applyCorrections(nothing, 'um the  patient\nis well'), 'um the patient is well', 'words kept, spacing made regular');
  const pairs = [pair('um knee pain', 'knee pain'), pair('um back pain', 'back pain')];
  t.is(correctDraft('um um', pairs), 'um um');
});

test('pairs longer than the alignment bound are learned from their opening', (t) => {
  const body = Array.from({ length: 400 }, (_, n) => `word${n}`).join(' ');
  const pairs = [pair(`uh ${body} uh`, body), pair(`uh ${body}`, body)];
  t.true(learnCorrections(pairs, { minSupport: 2, minPairs: 2, minConsistency: 0.6, maxAlignedWords: 100 }).dropped.has('uh'));
});

test('a filler beside a misrecognition is still learned as a filler: the run of words that spells the correction is kept', (t) => {
  const pairs = [
    pair('known hyper tension um on treatment', 'known hypertension on treatment'),
    pair('um hyper tension controlled', 'hypertension controlled'),
  ];
  const { dropped, replacements } = learnCorrections(pairs);
  t.true(dropped.has('um'));
  t.false(dropped.has('hyper') || dropped.has('tension'), 'the misheard words spell the correction: they are replaced, not dropped');
  t.deepEqual(replacements.get('hyper tension'), ['hypertension']);
  t.is(correctDraft('um severe hyper tension', pairs), 'severe hypertension');
});
