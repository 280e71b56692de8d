// Large texts are evaluated in a worker thread, with the same results as inline, a bounded number at a time, and
// an abort ends the worker.
import test from 'ava';
import { evaluateDraft } from '../../domain/drafts/text-metrics.js';
import { boundedDraftEvaluation, evaluateDraftTexts } from '../../projections/drafts/draft-metrics.js';

const texts = { raw: 'um the patient is stable period', dfn: 'The patient is stable.', finalNote: 'The patient is stable, for now.' };

test('a worker thread gives what the inline evaluation gives', async (t) => {
  t.deepEqual(await evaluateDraftTexts(texts, { inlineCostLimit: -1 }), evaluateDraft(texts));
});

test('large texts queued for one worker at a time come back equal to the inline figures, a small one beside them at once', async (t) => {
  const words = (seed: number) => Array.from({ length: 3000 }, (_, index) => `w${(index * seed) % 97}`).join(' ');
  const large = { raw: words(7), dfn: words(11), finalNote: words(13) };
  const evaluate = boundedDraftEvaluation(1);
  const finished: string[] = [];
  const tracked = <T>(name: string, pending: Promise<T>): Promise<T> => pending.then((result) => (finished.push(name), result));
  const results = await Promise.all([tracked('large', evaluate(large)), tracked('large', evaluate(large)), tracked('small', evaluate(texts))]);
  t.deepEqual(finished, ['small', 'large', 'large'], 'the small text does not wait behind the queued large ones');
  const expected = evaluateDraft(large);
  t.deepEqual(results[0], expected);
  t.deepEqual(results[1], expected);
  t.deepEqual(results[2], evaluateDraft(texts));
});

test('an aborted evaluation rejects with the abort reason', async (t) => {
  const controller = new AbortController();
  const pending = evaluateDraftTexts(texts, { inlineCostLimit: -1, signal: controller.signal });
  controller.abort(new Error('stopping'));
  await t.throwsAsync(pending, { message: 'stopping' });
});
