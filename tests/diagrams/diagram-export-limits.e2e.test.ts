// GET /v1/diagrams/:id/export at the renderer's limits, set by CHORUS_DIAGRAM_RENDER_TIMEOUT_MS and
// CHORUS_DIAGRAM_RENDER_QUEUE: a diagram whose layout outlasts the budget is 422 DIAGRAM.TOO_COMPLEX (it was saved:
// saving only parses), and exports beyond the queue are 503 DIAGRAM.RENDERER_BUSY with Retry-After. Nothing of
// either is cached: the same export is tried afresh.
import test from 'ava';
import { HttpSpecification } from '../support/http-specification.js';

const { call, when } = HttpSpecification({ as: ['member'], config: { CHORUS_DIAGRAM_RENDER_TIMEOUT_MS: '1000', CHORUS_DIAGRAM_RENDER_QUEUE: '1' } });

/** About 150k characters whose layout takes Graphviz seconds, and whose parse takes a fraction of one. */
const bigGraph = (seed: number): string => {
  const lines = [`digraph big${seed} {`];
  for (let n = 0; n < 10_000; n++) lines.push(`n${n % 3000} -> n${(n * 7 + seed) % 3000};`);
  return `${lines.join('\n')}\n}`;
};

async function saved(seed: number): Promise<{ id: string; position: string }> {
  const reply = await call('POST', '/v1/diagrams', { json: { title: `Big ${seed}`, format: 'dot', source: bigGraph(seed) } });
  if (reply.status !== 201) throw new Error(`create: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

test.serial('a diagram whose layout outlasts the budget is saved, and its export is 422 DIAGRAM.TOO_COMPLEX each time', async (t) => {
  const { id, position } = await saved(1);
  for (let attempt = 0; attempt < 2; attempt++) {
    const reply = await when('GET', `/v1/diagrams/${id}/export?format=svg`, { headers: { 'X-Chorus-Min-Position': position } }).then(t, { status: 422, code: 'DIAGRAM.TOO_COMPLEX' });
    t.regex(reply.body.detail, /did not finish within 1 s/);
  }
});

test.serial('exports beyond the one running and the one queued are 503 DIAGRAM.RENDERER_BUSY with Retry-After', async (t) => {
  const diagrams = [await saved(2), await saved(3), await saved(4)];
  const last = diagrams[diagrams.length - 1]!.position;
  const replies = await Promise.all(diagrams.map(({ id }) => call('GET', `/v1/diagrams/${id}/export?format=svg`, { headers: { 'X-Chorus-Min-Position': last } })));
  const statuses = replies.map((reply) => reply.status).sort();
  t.deepEqual(statuses, [422, 422, 503]);
  const busy = replies.find((reply) => reply.status === 503)!;
  t.is(busy.body.code, 'DIAGRAM.RENDERER_BUSY');
  t.is(busy.headers.get('retry-after'), '1');
});
