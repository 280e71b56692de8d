// The evaluator's metrics, computed where they do not hold up the process: the word alignment is quadratic in the
// texts' words and the character distance quadratic over 32 (see domain/drafts/text-metrics.ts), so two unrelated
// 100k-character texts take seconds (tests/bench/draft-metrics.ts prints the figures). Small texts, the common case,
// are evaluated inline; larger ones in a worker thread of their own, so that the event loop (the HTTP API and every
// other consumer of an embedded process) keeps answering meanwhile.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { evaluateDraft, evaluationCost, type DraftEvaluationMetrics } from '../../domain/drafts/text-metrics.js';

export type DraftTexts = Parameters<typeof evaluateDraft>[0];

/** Above this many elementary steps (a few tens of milliseconds), a worker thread evaluates. */
export const INLINE_COST_LIMIT = 2_000_000;

/** The worker's own file, .ts when run from source (tsx) and .js when built. */
const fromSource = extname(fileURLToPath(import.meta.url)) === '.ts';
const workerFile = new URL(`./draft-metrics-worker${fromSource ? '.ts' : '.js'}`, import.meta.url);

/**
 * A worker does not inherit the loader hooks `--import tsx` registers in the main thread (Node 20): run from source,
 * it registers tsx itself before importing the .ts entry. Built, the entry is plain JavaScript.
 */
const startWorker = (texts: DraftTexts): Worker =>
  fromSource
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(workerFile.href)}); })`, {
        eval: true,
        workerData: texts,
      })
    : new Worker(workerFile, { workerData: texts });

export function evaluateDraftTexts(texts: DraftTexts, options: Readonly<{ signal?: AbortSignal; inlineCostLimit?: number }> = {}): Promise<DraftEvaluationMetrics> {
  if (evaluationCost(texts) <= (options.inlineCostLimit ?? INLINE_COST_LIMIT)) return Promise.resolve(evaluateDraft(texts));
  return new Promise((resolve, reject) => {
    const worker = startWorker(texts);
    const abort = (): void => {
      void worker.terminate();
      reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('Draft evaluation aborted'));
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    worker.once('message', (metrics: DraftEvaluationMetrics) => resolve(metrics));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      options.signal?.removeEventListener('abort', abort);
      if (code !== 0) reject(new Error(`The draft evaluation worker stopped with code ${code}`));
    });
  });
}
