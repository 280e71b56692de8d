// The offline AI provider: deterministic text analysis with no network and no model weights,
// so the embedded profile triages feedback out of the box and the chain always has a last resort.
import type { AiProvider, FeedbackAnalysis } from '../../../application/ports/ai-provider.js';
import { categorizeFeedback } from './categorize-feedback.js';
import { DEFECT_CATEGORIES } from './feedback-lexicon.js';
import { readSentiment } from './feedback-sentiment.js';

export class LocalAiProvider implements AiProvider {
  readonly name = 'local';

  /** Synchronous inside; the promise is the port's. The same text always gets the same answer. */
  async analyzeFeedback(text: string, signal?: AbortSignal): Promise<FeedbackAnalysis> {
    // Nothing to interrupt once started, but a caller that already gave up gets no answer.
    signal?.throwIfAborted();
    const { category, confidence } = categorizeFeedback(text);
    const { sentiment } = readSentiment(text, { defectReport: DEFECT_CATEGORIES.has(category) });
    return { category, sentiment, confidence };
  }
}
