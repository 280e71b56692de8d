// The AI port: what Chorus asks of a model provider. Providers are tried in order by the ProviderChain.
import type { FeedbackCategory, Sentiment } from '../../domain/feedback/events.js';

export type FeedbackAnalysis = Readonly<{
  category: FeedbackCategory;
  sentiment: Sentiment;
  /** 0..1: how sure the provider is of the category. */
  confidence: number;
}>;

export interface AiProvider {
  /** Stable name, recorded in the events it contributes to (`local`, `gemini`, ...). */
  readonly name: string;
  /** @throws on any failure; the chain records it and moves on to the next provider. */
  analyzeFeedback(text: string, signal?: AbortSignal): Promise<FeedbackAnalysis>;
}

export type ProviderHealth = Readonly<{
  name: string;
  calls: number;
  failures: number;
  lastError: string | null;
  lastErrorAt: string | null;
  circuit: 'closed' | 'open' | 'half_open';
}>;
