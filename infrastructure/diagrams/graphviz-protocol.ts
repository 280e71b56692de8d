// Messages between the Graphviz renderer (graphviz-renderer.ts) and its worker threads (graphviz-worker.ts).
import type { RenderOutcome, SourceProblem } from '../../application/diagrams/diagram-renderer.js';

export type GraphvizJob = Readonly<{ id: number; kind: 'check' | 'svg'; source: string }>;
export type GraphvizReply = Readonly<{ id: number; outcome: RenderOutcome<string | readonly SourceProblem[]> }>;
/** Sent once Graphviz is loaded: jobs' time budgets start counting then, not while a thread starts. */
export const GRAPHVIZ_READY = 'ready';
