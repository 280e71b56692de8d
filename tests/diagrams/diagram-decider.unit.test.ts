import test from 'ava';
import { diagramDecider, type DiagramActor, type DiagramCommand } from '../../domain/diagrams/diagram-commands.js';
import type { DiagramEvent } from '../../domain/diagrams/diagram-events.js';
import { DeciderSpecification } from '../support/decider-specification.js';

const spec = DeciderSpecification(diagramDecider);
const diagramId = '01a2041a-9df6-7589-a81b-b54b1095756f';
const now = new Date('2026-12-01T10:00:00.000Z');
const at = now.toISOString();
const owner: DiagramActor = { sub: 'owner-1', admin: false };
const other: DiagramActor = { sub: 'member-2', admin: false };
const admin: DiagramActor = { sub: 'admin-3', admin: true };

const command = <T extends DiagramCommand['type']>(type: T, data: Omit<Extract<DiagramCommand, { type: T }>['data'], 'diagramId'>): DiagramCommand =>
  ({ type, data: { diagramId, ...data }, metadata: { now } }) as DiagramCommand;

const creation = { diagramId, title: 'Flow', format: 'dot' as const, source: 'digraph { a -> b }', sourceHash: 'h1', message: null, ownerId: owner.sub, createdAt: at };
const created = (visibility: 'private' | 'shared' = 'private'): DiagramEvent => ({ type: 'DiagramCreated', data: { ...creation, visibility } });
const versionAdded = (version: number, hash: string, by = owner.sub, restoredFrom: number | null = null): DiagramEvent => ({
  type: 'DiagramVersionAdded',
  data: { diagramId, version, source: `digraph { v${version} }`, sourceHash: hash, message: null, restoredFrom, addedBy: by, addedAt: at },
});
const deleted: DiagramEvent = { type: 'DiagramDeleted', data: { diagramId, deletedBy: owner.sub, deletedAt: at } };
const addVersion = (actor: DiagramActor, hash: string, restoredFrom: number | null = null) =>
  command('AddDiagramVersion', { source: `digraph { ${hash} }`, sourceHash: hash, message: 'why', restoredFrom, actor });

test('creating a diagram records its first source as version 1, owned by its creator', (t) => {
  const create = command('CreateDiagram', { title: 'Flow', format: 'dot', visibility: 'shared', source: creation.source, sourceHash: 'h1', message: null, actor: owner, generation: null });
  spec.given([]).when(create).then(t, [created('shared')]);
});

test('a generated diagram is created by DiagramGenerated, which records the prompt, provider and model', (t) => {
  const generation = { prompt: 'a flow of two steps', provider: 'local', model: 'local-diagrams-1' };
  const create = command('CreateDiagram', { title: 'Flow', format: 'dot', visibility: 'private', source: creation.source, sourceHash: 'h1', message: null, actor: owner, generation });
  spec.given([]).when(create).then(t, [{ type: 'DiagramGenerated', data: { ...creation, visibility: 'private', ...generation } }]);
});

test('a diagram cannot be created twice', (t) => {
  const create = command('CreateDiagram', { title: 'Flow', format: 'dot', visibility: 'private', source: 'x', sourceHash: 'h', message: null, actor: owner, generation: null });
  spec.given([created()]).when(create).thenThrows(t, 'DIAGRAM.ALREADY_EXISTS');
});

test('versions number on from the latest', (t) => {
  spec.given([created(), versionAdded(2, 'h2')]).when(addVersion(owner, 'h3')).then(t, [
    { type: 'DiagramVersionAdded', data: { diagramId, version: 3, source: 'digraph { h3 }', sourceHash: 'h3', message: 'why', restoredFrom: null, addedBy: owner.sub, addedAt: at } },
  ]);
});

test('a version equal to the latest one changes nothing', (t) => {
  spec.given([created(), versionAdded(2, 'h2')]).when(addVersion(owner, 'h2')).then(t, []);
});

test('a source equal to an older version, not the latest, is a new version', (t) => {
  const events = diagramDecider.decide(addVersion(owner, 'h1'), [created(), versionAdded(2, 'h2')].reduce(diagramDecider.evolve, diagramDecider.initialState()));
  t.like(events[0]?.data, { version: 3, sourceHash: 'h1' });
});

test('anyone may add versions to a shared diagram; a private one is not found for anyone but its owner and admins', (t) => {
  t.is(diagramDecider.decide(addVersion(other, 'h2'), diagramDecider.evolve(diagramDecider.initialState(), created('shared'))).length, 1);
  spec.given([created('private')]).when(addVersion(other, 'h2')).thenThrows(t, 'DIAGRAM.NOT_FOUND');
  t.is(diagramDecider.decide(addVersion(admin, 'h2'), diagramDecider.evolve(diagramDecider.initialState(), created('private'))).length, 1);
});

test('a restore names a version up to the latest, else the version is not found', (t) => {
  spec.given([created(), versionAdded(2, 'h2')]).when(addVersion(owner, 'h1', 1)).then(t, [
    { type: 'DiagramVersionAdded', data: { diagramId, version: 3, source: 'digraph { h1 }', sourceHash: 'h1', message: 'why', restoredFrom: 1, addedBy: owner.sub, addedAt: at } },
  ]);
  spec.given([created(), versionAdded(2, 'h2')]).when(addVersion(owner, 'h9', 3)).thenThrows(t, 'DIAGRAM.VERSION_NOT_FOUND');
  // Who may not see it learns nothing of its versions.
  spec.given([created()]).when(addVersion(other, 'h9', 7)).thenThrows(t, 'DIAGRAM.NOT_FOUND');
  // A restore whose source was not found saves no blank version.
  const blank = command('AddDiagramVersion', { source: ' ', sourceHash: 'blank', message: null, restoredFrom: 1, actor: owner });
  spec.given([created(), versionAdded(2, 'h2')]).when(blank).thenThrows(t, 'DIAGRAM.SOURCE_MISSING');
});

test('commands on an unknown diagram are not found', (t) => {
  for (const unknown of [addVersion(owner, 'h'), command('RenameDiagram', { title: 'T', actor: owner }), command('DeleteDiagram', { actor: owner }), command('UndeleteDiagram', { actor: owner })]) {
    spec.given([]).when(unknown).thenThrows(t, 'DIAGRAM.NOT_FOUND');
  }
});

test('only the owner or an admin renames a shared diagram; others are forbidden', (t) => {
  spec.given([created('shared')]).when(command('RenameDiagram', { title: 'New', actor: other })).thenThrows(t, 'DIAGRAM.NOT_OWNER');
  spec.given([created('shared')]).when(command('RenameDiagram', { title: 'New', actor: admin })).then(t, [
    { type: 'DiagramRenamed', data: { diagramId, from: 'Flow', title: 'New', renamedBy: admin.sub, renamedAt: at } },
  ]);
  spec.given([created('shared')]).when(command('RenameDiagram', { title: 'Flow', actor: owner })).then(t, []);
  spec.given([created('private')]).when(command('RenameDiagram', { title: 'New', actor: other })).thenThrows(t, 'DIAGRAM.NOT_FOUND');
});

test('a deleted diagram takes no command but undelete (409), and is not found for anyone else', (t) => {
  for (const refused of [addVersion(owner, 'h2'), command('RenameDiagram', { title: 'New', actor: owner }), command('DeleteDiagram', { actor: owner })]) {
    spec.given([created('shared'), deleted]).when(refused).thenThrows(t, 'DIAGRAM.DELETED');
  }
  spec.given([created('shared'), deleted]).when(addVersion(other, 'h2')).thenThrows(t, 'DIAGRAM.NOT_FOUND');
  spec.given([created('shared'), deleted]).when(command('UndeleteDiagram', { actor: other })).thenThrows(t, 'DIAGRAM.NOT_FOUND');
  spec.given([created('shared'), deleted]).when(command('UndeleteDiagram', { actor: owner })).then(t, [
    { type: 'DiagramUndeleted', data: { diagramId, undeletedBy: owner.sub, undeletedAt: at } },
  ]);
});

test('deleting is the owner\'s; undeleting a diagram not deleted changes nothing', (t) => {
  spec.given([created('shared')]).when(command('DeleteDiagram', { actor: other })).thenThrows(t, 'DIAGRAM.NOT_OWNER');
  spec.given([created('shared')]).when(command('DeleteDiagram', { actor: owner })).then(t, [deleted]);
  spec.given([created('shared')]).when(command('UndeleteDiagram', { actor: owner })).then(t, []);
});

test('the state keeps no source: the latest version and its hash', (t) => {
  const state = [created(), versionAdded(2, 'h2'), deleted].reduce(diagramDecider.evolve, diagramDecider.initialState());
  t.deepEqual(state, { status: 'deleted', diagramId, ownerId: owner.sub, title: 'Flow', format: 'dot', visibility: 'private', latestVersion: 2, latestHash: 'h2' });
});
