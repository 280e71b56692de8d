import test from 'ava';
import { graphvizRenderer } from '../../infrastructure/diagrams/graphviz-renderer.js';

const bigGraph = (edges: number): string => {
  const lines = ['digraph big {'];
  for (let n = 0; n < edges; n++) lines.push(`  n${n % 3000} -> n${(n * 7) % 3000};`);
  return `${lines.join('\n')}\n}`;
};

test('a DOT source renders to an SVG document with its nodes, and its check passes', async (t) => {
  const renderer = graphvizRenderer();
  t.teardown(() => renderer.close());
  const source = 'digraph pipeline {\n  api -> store [label="appends"];\n  relay -> kafka;\n}';
  t.deepEqual(await renderer.checkDot(source), { status: 'ok', value: [] });
  const svg = await renderer.renderDotSvg(source);
  if (svg.status !== 'ok') return t.fail(`rendered ${svg.status}`);
  t.regex(svg.value, /^(<\?xml[^>]*>\s*)?(<!DOCTYPE[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg\b/);
  for (const node of ['api', 'store', 'relay', 'kafka', 'appends']) t.true(svg.value.includes(`>${node}</text>`), node);
});

test('a syntax error is reported with its line, by the check and by the rendering', async (t) => {
  const renderer = graphvizRenderer();
  t.teardown(() => renderer.close());
  const source = 'digraph {\n  a -> b;\n  c -> -> d;\n}';
  const expected = { status: 'invalid', problems: [{ line: 3, message: "syntax error in line 3 near '->'" }] };
  t.deepEqual(await renderer.checkDot(source), expected);
  t.deepEqual(await renderer.renderDotSvg(source), expected);
});

test('a source without a graph is invalid, with a message instead of an empty list', async (t) => {
  const renderer = graphvizRenderer();
  t.teardown(() => renderer.close());
  for (const source of ['', '   \n', '/* only a comment */']) {
    t.deepEqual(await renderer.checkDot(source), { status: 'invalid', problems: [{ line: null, message: 'The source holds no graph' }] }, JSON.stringify(source));
  }
});

test('a check parses without laying out: a graph too big to render within the budget still passes its check', async (t) => {
  const renderer = graphvizRenderer({ checkTimeoutMs: 5000, renderTimeoutMs: 300 });
  t.teardown(() => renderer.close());
  const source = bigGraph(12_000);
  t.is((await renderer.checkDot(source)).status, 'ok');
  t.like(await renderer.renderDotSvg(source), { status: 'too_complex', message: 'Graphviz did not finish within 0.3 s; simplify the diagram' });
  // The lane's thread was ended; the next rendering gets a fresh one.
  t.is((await renderer.renderDotSvg('digraph { a -> b }')).status, 'ok');
});

test('beyond the queue bound a rendering is answered busy at once, and queued ones still finish', async (t) => {
  const jobs: string[] = [];
  const renderer = graphvizRenderer({ maxQueued: 1, onJob: (kind, status) => void jobs.push(`${kind} ${status}`) });
  t.teardown(() => renderer.close());
  const answers = await Promise.all([1, 2, 3].map((n) => renderer.renderDotSvg(`digraph { a${n} -> b${n} }`)));
  t.deepEqual(
    answers.map((answer) => answer.status),
    ['ok', 'ok', 'busy'],
  );
  t.deepEqual(jobs, ['svg ok', 'svg ok']);
});

test('closing answers what is still queued as busy', async (t) => {
  const renderer = graphvizRenderer();
  const running = renderer.renderDotSvg(bigGraph(4000));
  const queued = renderer.renderDotSvg('digraph { a -> b }');
  await renderer.close();
  t.is((await running).status, 'busy');
  t.is((await queued).status, 'busy');
  t.is((await renderer.checkDot('digraph { a }')).status, 'busy');
});
