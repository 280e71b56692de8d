// Worker thread entry: Graphviz (WebAssembly, @viz-js/viz) for one lane of the renderer (graphviz-renderer.ts).
// Rendering is synchronous and can take seconds, so it never runs on the process's event loop.
import { parentPort } from 'node:worker_threads';
import { instance } from '@viz-js/viz';
import type { SourceProblem } from '../../application/diagrams/diagram-renderer.js';
import { GRAPHVIZ_READY, type GraphvizJob, type GraphvizReply } from './graphviz-protocol.js';


type VizMessage = Readonly<{ level?: string; message: string }>;

// The `nop2` engine takes positions as given instead of laying the graph out, so a check costs a parse; it then
// complains that nodes have no position, which says nothing about the source.
const LAYOUT_SKIPPED = /has no position|required by the -n flag/;

const problemOf = (error: VizMessage): SourceProblem => {
  const line = /\bline (\d+)/.exec(error.message);
  return { line: line === null ? null : Number(line[1]), message: error.message.trim() };
};

const viz = await instance();

function run(job: GraphvizJob): GraphvizReply['outcome'] {
  const result = job.kind === 'check' ? viz.render(job.source, { engine: 'nop2', format: 'canon' }) : viz.render(job.source, { format: 'svg' });
  const messages = result.errors.filter((error) => !LAYOUT_SKIPPED.test(error.message));
  if (result.status === 'failure') {
    const problems = messages.filter((error) => error.level !== 'warning').map(problemOf);
    return { status: 'invalid', problems: problems.length > 0 ? problems : [{ line: null, message: 'The source holds no graph' }] };
  }
  return { status: 'ok', value: job.kind === 'check' ? messages.map(problemOf) : result.output };
}

parentPort!.on('message', (job: GraphvizJob) => {
  parentPort!.postMessage({ id: job.id, outcome: run(job) } satisfies GraphvizReply);
});
parentPort!.postMessage(GRAPHVIZ_READY);
