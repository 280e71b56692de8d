// The diagrams read model: given recorded events, the rows of diagrams and diagram_versions, and the same rows when
// the events are applied again.
import test from 'ava';
import { v7 as uuidv7 } from 'uuid';
import { diagramStreamId, type DiagramEvent } from '../../domain/diagrams/diagram-events.js';
import { diagramsProjection } from '../../projections/diagrams/diagrams-projection.js';
import { ProjectionSpecification, recordedEventLog } from '../support/projection-specification.js';

const spec = ProjectionSpecification(diagramsProjection, { diagrams: ['id'], diagram_versions: ['diagram_id', 'version'] });
const at = '2026-12-01T09:00:00.000Z';
const later = '2026-12-02T09:00:00.000Z';

function diagram(id = uuidv7(), log = recordedEventLog()) {
  const stream = diagramStreamId(id);
  const record = (event: DiagramEvent) => log.record(stream, event);
  const creation = { diagramId: id, title: 'Checkout flow', format: 'dot' as const, visibility: 'shared' as const, source: 'digraph { cart -> payment }', sourceHash: 'h1', message: 'first', ownerId: 'u1', createdAt: at };
  return {
    id,
    created: () => record({ type: 'DiagramCreated', data: creation }),
    generated: () => record({ type: 'DiagramGenerated', data: { ...creation, prompt: 'a checkout', provider: 'local', model: 'm1' } }),
    version: (version: number, source: string, restoredFrom: number | null = null) =>
      record({ type: 'DiagramVersionAdded', data: { diagramId: id, version, source, sourceHash: `h${version}`, message: null, restoredFrom, addedBy: 'u2', addedAt: later } }),
    renamed: () => record({ type: 'DiagramRenamed', data: { diagramId: id, from: 'Checkout flow', title: 'Payment flow', renamedBy: 'u1', renamedAt: later } }),
    deleted: () => record({ type: 'DiagramDeleted', data: { diagramId: id, deletedBy: 'u1', deletedAt: later } }),
    undeleted: () => record({ type: 'DiagramUndeleted', data: { diagramId: id, undeletedBy: 'u1', undeletedAt: later } }),
  };
}

const row = (id: string, position: string) => ({
  id,
  owner_id: 'u1',
  title: 'Checkout flow',
  format: 'dot',
  visibility: 'shared',
  latest_version: 1,
  source: 'digraph { cart -> payment }',
  source_hash: 'h1',
  deleted: false,
  prompt: null,
  ai_provider: null,
  ai_model: null,
  revision: 0,
  position,
  created_at: new Date(at),
  updated_at: new Date(at),
  search: "'cart':4 'checkout':1 'digraph':3 'flow':2 'payment':5",
});

const version1 = (id: string) => ({ diagram_id: id, version: 1, source: 'digraph { cart -> payment }', source_hash: 'h1', message: 'first', author: 'u1', created_at: new Date(at), restored_from: null });

test('given a creation, then one diagram row with its search vector, and its version 1', async (t) => {
  const one = diagram();
  const created = one.created();
  await spec.given([created]).then(t, { diagrams: [row(one.id, created.position)], diagram_versions: [version1(one.id)] } as never);
});

test('a generated diagram is a creation that also keeps the prompt, provider and model', async (t) => {
  const one = diagram();
  const generated = one.generated();
  await spec.given([generated]).then(t, {
    diagrams: [{ ...row(one.id, generated.position), prompt: 'a checkout', ai_provider: 'local', ai_model: 'm1' }],
    diagram_versions: [version1(one.id)],
  } as never);
});

test('given versions, a rename, a deletion and an undeletion, then the row follows, in one batch or several, and every version is kept', async (t) => {
  const one = diagram();
  const created = one.created();
  const rest = [one.version(2, 'digraph { cart -> shipping }'), one.renamed(), one.deleted(), one.version(3, 'digraph { cart -> payment }', 1), one.undeleted()];
  // A version after a deletion cannot be decided, but the projection takes the log as it is.
  const last = rest[rest.length - 1]!;
  const expected = {
    diagrams: [
      {
        ...row(one.id, last.position),
        title: 'Payment flow',
        latest_version: 3,
        source_hash: 'h3',
        revision: 5,
        updated_at: new Date(later),
        search: "'cart':4 'digraph':3 'flow':2 'payment':1,5",
      },
    ],
    diagram_versions: [
      version1(one.id),
      { diagram_id: one.id, version: 2, source: 'digraph { cart -> shipping }', source_hash: 'h2', message: null, author: 'u2', created_at: new Date(later), restored_from: null },
      { diagram_id: one.id, version: 3, source: 'digraph { cart -> payment }', source_hash: 'h3', message: null, author: 'u2', created_at: new Date(later), restored_from: 1 },
    ],
  };
  await spec.given([created]).when(rest).then(t, expected as never);
  await spec.given([created, ...rest]).then(t, expected as never);
});

test('events of a diagram whose creation was never seen leave no rows', async (t) => {
  const one = diagram();
  one.created(); // recorded, not applied
  await spec.given([one.version(2, 'graph {}'), one.renamed()]).then(t, { diagrams: [], diagram_versions: [] });
});
