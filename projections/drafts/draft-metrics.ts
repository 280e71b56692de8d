// The evaluator's metrics, computed where they do not hold up the process: the word alignment is quadratic in the
// texts' words and the character distance quadratic over 32 (see domain/drafts/text-metrics.ts), so two unrelated
// 100k-character texts take seconds (tests/bench/draft-metrics.ts prints the figures). Small texts, the common case,
// are evaluated inline; larger ones in a worker thread of their own, so that the event loop (the HTTP API and every
// other consumer of an embedded process) keeps answering meanwhile.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../application/kernel/module-worker.js';
import { evaluateDraft, evaluationCost, type DraftEvaluationMetrics } from '../../domain/drafts/text-metrics.js';

export type DraftTexts = Parameters<typeof evaluateDraft>[0];

/**
 * Above this bound on the elementary steps (evaluationCost; tens of milliseconds at worst, a few for real drafts,
 * whose words are longer than the bound assumes), a worker thread evaluates: texts of about 3,000 characters and up.
 */
export const INLINE_COST_LIMIT = 5_000_000;

export function evaluateDraftTexts(texts: DraftTexts, options: Readonly<{ signal?: AbortSignal; inlineCostLimit?: number }> = {}): Promise<DraftEvaluationMetrics> {
  if (evaluationCost(texts) <= (options.inlineCostLimit ?? INLINE_COST_LIMIT)) return Promise.resolve(evaluateDraft(texts));
  return evaluateInWorker(texts, options.signal);
}

/**
 * evaluateDraftTexts with at most `workersAtOnce` worker threads at a time (by default one core fewer than the
 * machine has): the enricher works on several streams at once, and a burst of large drafts should queue, not take
 * every core from the API. Inline evaluations never wait.
 */
export function boundedDraftEvaluation(workersAtOnce = Math.max(1, availableParallelism() - 1)): (texts: DraftTexts, signal?: AbortSignal) => Promise<DraftEvaluationMetrics> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (texts, signal) => {
    if (evaluationCost(texts) <= INLINE_COST_LIMIT) return evaluateDraft(texts);
    while (running >= workersAtOnce) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await evaluateInWorker(texts, signal);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

function evaluateInWorker(texts: DraftTexts, signal: AbortSignal | undefined): Promise<DraftEvaluationMetrics> {
  if (signal?.aborted === true) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('Draft evaluation aborted'));
  return new Promise((resolve, reject) => {
    const worker: Worker = startModuleWorker(import.meta.url, './draft-metrics-worker', texts);
    const abort = (): void => {
      void worker.terminate();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('Draft evaluation aborted'));
    };
    signal?.addEventListener('abort', abort, { once: true });
    worker.once('message', (metrics: DraftEvaluationMetrics) => resolve(metrics));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', abort);
      if (code !== 0) reject(new Error(`The draft evaluation worker stopped with code ${code}`));
    });
  });
}
