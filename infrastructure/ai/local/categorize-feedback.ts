// Feedback category by a weighted lexicon: longest-phrase matching over normalised tokens,
// per-category scores, triage precedence, and a confidence taken from the winning margin.
import { FEEDBACK_CATEGORIES, type FeedbackCategory } from '../../../domain/feedback/events.js';
import {
  ACTION_CATEGORIES,
  CATEGORY_LEXICON,
  CATEGORY_PRECEDENCE,
  DEFECT_CATEGORIES,
  DEFECT_NEGATION_WINDOW,
  DEFECT_NEGATORS,
  NEUTRAL_PHRASES,
  SURFACE_CATEGORIES,
  SURFACE_WEIGHT_BESIDE_ACTION,
} from './feedback-lexicon.js';
import { normalisePhrase, tokeniseClauses } from './feedback-text.js';

export type CategoryScores = Readonly<Record<FeedbackCategory, number>>;

export type CategoryReading = Readonly<{
  category: FeedbackCategory;
  /** 0..1, see `confidenceOf`. */
  confidence: number;
  scores: CategoryScores;
}>;

/** What the reading falls back to when no lexicon term matched: a general remark about the product. */
export const FALLBACK_CATEGORY: FeedbackCategory = 'product';
export const FALLBACK_CONFIDENCE = 0.3;

/** `category: null` marks a neutral phrase: it consumes its words and scores nothing. */
type LexiconEntry = Readonly<{ category: FeedbackCategory | null; weight: number; length: number }>;

const { entries, longestPhrase } = buildIndex();

/** Built once at module load; a phrase listed twice (even in two spellings) is an authoring error, so it fails loudly. */
function buildIndex(): { entries: ReadonlyMap<string, LexiconEntry>; longestPhrase: number } {
  const index = new Map<string, LexiconEntry>();
  const add = (phrase: string, entry: Omit<LexiconEntry, 'length'>): void => {
    const key = normalisePhrase(phrase);
    if (key === '') throw new Error(`Feedback lexicon: "${phrase}" has no words`);
    if (index.has(key)) throw new Error(`Feedback lexicon: "${phrase}" is listed twice (normalised "${key}")`);
    index.set(key, { ...entry, length: key.split(' ').length });
  };
  for (const category of FEEDBACK_CATEGORIES) {
    for (const [phrase, weight] of CATEGORY_LEXICON[category]) add(phrase, { category, weight });
  }
  for (const phrase of NEUTRAL_PHRASES) add(phrase, { category: null, weight: 0 });
  const ranked = new Set(CATEGORY_PRECEDENCE);
  if (ranked.size !== FEEDBACK_CATEGORIES.length || FEEDBACK_CATEGORIES.some((category) => !ranked.has(category))) {
    throw new Error('Feedback lexicon: CATEGORY_PRECEDENCE must rank every feedback category exactly once');
  }
  let longest = 1;
  for (const entry of index.values()) longest = Math.max(longest, entry.length);
  return { entries: index, longestPhrase: longest };
}

function longestMatchAt(clause: readonly string[], start: number): LexiconEntry | undefined {
  for (let length = Math.min(longestPhrase, clause.length - start); length >= 1; length--) {
    const entry = entries.get(clause.slice(start, start + length).join(' '));
    if (entry !== undefined) return entry;
  }
  return undefined;
}

/** A negator shortly before the term, not itself part of a matched phrase ("does not work" keeps its "not"). */
function isNegated(clause: readonly string[], start: number, consumed: readonly boolean[]): boolean {
  for (let i = start - 1; i >= Math.max(0, start - DEFECT_NEGATION_WINDOW); i--) {
    const token = clause[i];
    if (token !== undefined && !consumed[i] && DEFECT_NEGATORS.has(token)) return true;
  }
  return false;
}

export function scoreCategories(text: string): CategoryScores {
  const scores = Object.fromEntries(FEEDBACK_CATEGORIES.map((category) => [category, 0])) as Record<FeedbackCategory, number>;
  for (const clause of tokeniseClauses(text)) {
    const consumed: boolean[] = [];
    let position = 0;
    while (position < clause.length) {
      const entry = longestMatchAt(clause, position);
      if (entry === undefined) {
        position += 1;
        continue;
      }
      const cancelled = entry.category !== null && DEFECT_CATEGORIES.has(entry.category) && isNegated(clause, position, consumed);
      if (entry.category !== null && !cancelled) scores[entry.category] += entry.weight;
      for (let i = position; i < position + entry.length; i++) consumed[i] = true;
      position += entry.length;
    }
  }
  // Crash beats bug: in a report that names a crash, "error" or "broken" describe that crash,
  // so they add to it instead of competing with it.
  if (scores.crash > 0) {
    scores.crash += scores.bug;
    scores.bug = 0;
  }
  if ([...ACTION_CATEGORIES].some((category) => scores[category] > 0)) {
    for (const category of SURFACE_CATEGORIES) scores[category] *= SURFACE_WEIGHT_BESIDE_ACTION;
  }
  return scores;
}

/**
 * Margin over the runner-up, scaled by how much evidence there is: one weak hint with no rival
 * gives about 0.55, several strong terms with no rival approach 0.95, a tie gives 0.35.
 * Always above FALLBACK_CONFIDENCE, so any signal reads as surer than none.
 */
function confidenceOf(best: number, runnerUp: number): number {
  const margin = (best - runnerUp) / best;
  const evidence = best / (best + 2);
  return Math.round((0.35 + 0.6 * margin * evidence) * 100) / 100;
}

export function categorizeFeedback(text: string): CategoryReading {
  const scores = scoreCategories(text);
  // CATEGORY_PRECEDENCE order plus a stable sort makes ties go to the category triage needs first.
  const ranked = [...CATEGORY_PRECEDENCE].sort((a, b) => scores[b] - scores[a]);
  const [best, runnerUp] = ranked;
  if (best === undefined || scores[best] <= 0) {
    return { category: FALLBACK_CATEGORY, confidence: FALLBACK_CONFIDENCE, scores };
  }
  return { category: best, confidence: confidenceOf(scores[best], runnerUp === undefined ? 0 : scores[runnerUp]), scores };
}
