// Worker thread entry: evaluates one draft's texts off the main event loop (see draft-metrics.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { evaluateDraft } from '../../domain/drafts/text-metrics.js';

const texts = workerData as Parameters<typeof evaluateDraft>[0];
parentPort!.postMessage(evaluateDraft(texts));
