// Feedback sentiment with the `sentiment` package (AFINN-165), extended with product-feedback vocabulary.
import { createRequire } from 'node:module';
import SentimentAnalyzer from 'sentiment';
import type { Sentiment } from '../../../domain/feedback/events.js';
import { NEGATION_BRIDGES, SENTIMENT_EXTRAS, SENTIMENT_IDIOMS, SENTIMENT_NEGATORS } from './feedback-lexicon.js';
import { normaliseText } from './feedback-text.js';

/*
 * The extras are registered as a language of their own rather than passed per call as `extras`:
 * the package merges `extras` into its shared English labels with Object.assign, which would
 * change the scores of every other user of the package in this process, for good.
 */
const LANGUAGE = 'chorus-feedback-en';

// Read through require, not a JSON import: tsx turns a JSON module into named exports, and AFINN
// has a word ("await") that is not a legal binding in an ES module.
const englishLabels = createRequire(import.meta.url)('sentiment/languages/en/labels.json') as Readonly<Record<string, number>>;
const negators: ReadonlySet<string> = new Set(SENTIMENT_NEGATORS);
const bridges: ReadonlySet<string> = new Set(NEGATION_BRIDGES);

/** The package's English rule (a negator right before a word flips it), also across one degree word. */
function isNegated(tokens: readonly string[], cursor: number): boolean {
  const previous = tokens[cursor - 1];
  if (previous === undefined) return false;
  if (negators.has(previous)) return true;
  const beforeBridge = tokens[cursor - 2];
  return bridges.has(previous) && beforeBridge !== undefined && negators.has(beforeBridge);
}

/** "takes ages" → the single token "takes-ages" (the package splits on spaces, not on hyphens). */
const idioms = Object.entries(SENTIMENT_IDIOMS).map(([phrase, score]) => {
  const words = phrase.split(' ');
  return { pattern: new RegExp(`\\b${words.join('\\s+')}\\b`, 'gu'), token: words.join('-'), score };
});
const joinIdioms = (text: string): string => idioms.reduce((joined, idiom) => joined.replace(idiom.pattern, idiom.token), text);

new SentimentAnalyzer().registerLanguage(LANGUAGE, {
  labels: {
    ...englishLabels,
    ...SENTIMENT_EXTRAS,
    ...Object.fromEntries(idioms.map(({ token, score }) => [token, score])),
  },
  scoringStrategy: { apply: (tokens, cursor, score) => (isNegated(tokens, cursor) ? -score : score) },
});

const analyzer = new SentimentAnalyzer();

/**
 * Both gates must pass: the comparative score (per token) keeps a long, mildly worded text from
 * reading as strongly felt, and the absolute score keeps one weak word ("wish", "please", "no")
 * from tipping an otherwise flat remark. Mixed texts whose words cancel out read as neutral.
 */
export const SENTIMENT_MIN_COMPARATIVE = 0.05;
export const SENTIMENT_MIN_SCORE = 2;

/**
 * A crash or bug report is a complaint even when worded flatly ("checkout stopped working"):
 * AFINN scores single words and cannot see that, so a defect report counts as one more
 * clearly negative word. Praise in the same text still outweighs it.
 */
export const DEFECT_REPORT_SCORE = -2;

export type SentimentReading = Readonly<{ sentiment: Sentiment; score: number; comparative: number }>;

export function readSentiment(text: string, options: { defectReport?: boolean } = {}): SentimentReading {
  // The package keeps apostrophes inside tokens but only knows the straight one ("don't", not "don’t").
  const result = analyzer.analyze(joinIdioms(normaliseText(text)), { language: LANGUAGE });
  const score = result.score + (options.defectReport === true ? DEFECT_REPORT_SCORE : 0);
  const comparative = score / Math.max(1, result.tokens.length);
  const sentiment: Sentiment =
    score >= SENTIMENT_MIN_SCORE && comparative >= SENTIMENT_MIN_COMPARATIVE
      ? 'positive'
      : score <= -SENTIMENT_MIN_SCORE && comparative <= -SENTIMENT_MIN_COMPARATIVE
        ? 'negative'
        : 'neutral';
  return { sentiment, score, comparative };
}
