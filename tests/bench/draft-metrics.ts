// Figures of the drafts evaluator's metrics (domain/drafts/text-metrics.ts): a typical draft evaluated inline, and
// the worst case (two unrelated 100k-character texts against a third, for the raw draft and the DFN) evaluated in a
// worker thread, with the longest stall the event loop saw meanwhile. Figures only: nothing here asserts.
// Run alone: node --import tsx tests/bench/draft-metrics.ts (about 20 s on two busy cores).
import { pathToFileURL } from 'node:url';
import { DRAFT_TEXT_MAX_LENGTH } from '../../domain/drafts/events.js';
import { evaluateDraft, evaluationCost } from '../../domain/drafts/text-metrics.js';
import { evaluateDraftTexts, INLINE_COST_LIMIT } from '../../projections/drafts/draft-metrics.js';
import { fromRounds, type Figure } from './figures.js';

const VOCABULARY = 'patient reports chest pain since yesterday denies fever cough history of hypertension on amlodipine examination normal plan ecg troponin review'.split(' ');

/** A text of about `length` characters from a fixed-seed generator (a different seed, an unrelated text). */
function text(seed: number, length: number): string {
  let state = seed;
  const words: string[] = [];
  let size = 0;
  for (;;) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const word = VOCABULARY[state % VOCABULARY.length]!;
    if (size + word.length + 1 > length) return words.join(' ');
    words.push(word);
    size += word.length + 1;
  }
}

/** The note with one word in ten changed: a draft as a recogniser might give it. */
const edited = (note: string, marker: string): string => note.split(' ').map((word, index) => (index % 10 === 3 ? `${word}${marker}` : word)).join(' ');

export async function draftMetricsFigures(): Promise<Figure[]> {
  const note = text(1, 2000);
  const typical = { raw: edited(note, 'x'), dfn: edited(note, ''), finalNote: note };
  const rounds: number[] = [];
  for (let round = 0; round < 20; round++) {
    const started = performance.now();
    evaluateDraft(typical);
    rounds.push(performance.now() - started);
  }

  const worst = { raw: text(2, DRAFT_TEXT_MAX_LENGTH), dfn: text(3, DRAFT_TEXT_MAX_LENGTH), finalNote: text(4, DRAFT_TEXT_MAX_LENGTH) };
  let longestStall = 0;
  let tick = performance.now();
  const watch = setInterval(() => {
    const now = performance.now();
    longestStall = Math.max(longestStall, now - tick - 10);
    tick = now;
  }, 10);
  const started = performance.now();
  const metrics = await evaluateDraftTexts(worst);
  const elapsed = performance.now() - started;
  clearInterval(watch);
  return [
    { name: 'draft evaluation, 2k-char texts, inline', unit: 'ms', chorus: fromRounds(rounds, { cost: Math.round(evaluationCost(typical)), inlineLimit: INLINE_COST_LIMIT }) },
    {
      name: 'draft evaluation, worst case: three unrelated 100k-char texts, worker thread',
      unit: 'ms',
      chorus: { value: elapsed, details: { longestEventLoopStallMs: Math.round(longestStall), words: worst.finalNote.split(' ').length, rawWer: Number(metrics.raw.wer.toFixed(3)) } },
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const figure of await draftMetricsFigures()) console.log(JSON.stringify(figure));
}
