// Diagram commands and the rules that decide them.
//
// Who may do what (the decider enforces it on the stream's state, the source of truth):
//   - a private diagram exists only for its owner and admins: anyone else is told it is not found;
//   - a shared one: every caller may add versions and restore (collaboration, guarded by If-Match), but only its
//     owner or an admin renames, deletes or undeletes it (DIAGRAM.NOT_OWNER, HTTP 403);
//   - a deleted diagram exists only for its owner and admins, and takes no command but undelete (DIAGRAM.DELETED, 409).
// A version whose source equals the latest one, a rename to the current title and an undelete of a diagram not
// deleted are no-ops, so a retried request is harmless.
import { assertNever, type Command, type Decider } from '../kernel/decider.js';
import { Forbidden, IllegalState, NotFound } from '../kernel/errors.js';
import {
  evolve,
  initialState,
  type Diagram,
  type DiagramCreation,
  type DiagramEvent,
  type DiagramSource,
  type DiagramVisibility,
} from './diagram-events.js';

/** Who asks: their user id, and whether they are an admin (who acts as every diagram's owner). */
export type DiagramActor = Readonly<{ sub: string; admin: boolean }>;

/** `generation`: set when the AI chain wrote the first version (the creation is then a DiagramGenerated). */
export type CreateDiagram = Command<
  'CreateDiagram',
  Omit<DiagramCreation, 'ownerId' | 'createdAt'> & { actor: DiagramActor; generation: Readonly<{ prompt: string; provider: string; model: string }> | null }
>;
/** `restoredFrom`: the earlier version this source is taken from (restore), else null. */
export type AddDiagramVersion = Command<'AddDiagramVersion', DiagramSource & { diagramId: string; message: string | null; restoredFrom: number | null; actor: DiagramActor }>;
export type RenameDiagram = Command<'RenameDiagram', { diagramId: string; title: string; actor: DiagramActor }>;
export type DeleteDiagram = Command<'DeleteDiagram', { diagramId: string; actor: DiagramActor }>;
export type UndeleteDiagram = Command<'UndeleteDiagram', { diagramId: string; actor: DiagramActor }>;

export type DiagramCommand = CreateDiagram | AddDiagramVersion | RenameDiagram | DeleteDiagram | UndeleteDiagram;

type ExistingDiagram = Exclude<Diagram, { status: 'initial' }>;

const notFound = (diagramId: string): NotFound => new NotFound('DIAGRAM.NOT_FOUND', `Diagram ${diagramId} does not exist`);

const ownedBy = (diagram: Readonly<{ ownerId: string }>, actor: DiagramActor): boolean => actor.admin || diagram.ownerId === actor.sub;

/**
 * Whether the actor may see the diagram at all: its owner and admins always; others while it is shared and not
 * deleted. The one rule for commands (on the stream's state) and queries (on the read model's row).
 */
export const mayView = (diagram: Readonly<{ ownerId: string; visibility: DiagramVisibility; deleted: boolean }>, actor: DiagramActor): boolean =>
  ownedBy(diagram, actor) || (diagram.visibility === 'shared' && !diagram.deleted);

/** The diagram, if it exists for this actor. */
function visible(state: Diagram, diagramId: string, actor: DiagramActor): ExistingDiagram {
  if (state.status === 'initial' || !mayView({ ...state, deleted: state.status === 'deleted' }, actor)) throw notFound(diagramId);
  return state;
}

/** A diagram the actor may change: visible and not deleted. */
function active(state: Diagram, diagramId: string, actor: DiagramActor): ExistingDiagram {
  const diagram = visible(state, diagramId, actor);
  if (diagram.status === 'deleted') throw new IllegalState('DIAGRAM.DELETED', `Diagram ${diagramId} is deleted: undelete it first`);
  return diagram;
}

function owned(diagram: ExistingDiagram, actor: DiagramActor, what: string): void {
  if (!ownedBy(diagram, actor)) throw new Forbidden('DIAGRAM.NOT_OWNER', `Only the diagram's owner (or an admin) may ${what} it`);
}

export function decide(command: DiagramCommand, state: Diagram): readonly DiagramEvent[] {
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'CreateDiagram': {
      if (state.status !== 'initial') throw new IllegalState('DIAGRAM.ALREADY_EXISTS', `Diagram ${command.data.diagramId} already exists`);
      const { actor, generation, ...creation } = command.data;
      const data = { ...creation, ownerId: actor.sub, createdAt: at };
      return [generation === null ? { type: 'DiagramCreated', data } : { type: 'DiagramGenerated', data: { ...data, ...generation } }];
    }
    case 'AddDiagramVersion': {
      const { diagramId, source, sourceHash, message, restoredFrom, actor } = command.data;
      const diagram = active(state, diagramId, actor);
      if (restoredFrom !== null && (restoredFrom < 1 || restoredFrom > diagram.latestVersion)) {
        throw new NotFound('DIAGRAM.VERSION_NOT_FOUND', `Diagram ${diagramId} has no version ${restoredFrom} (its latest is ${diagram.latestVersion})`);
      }
      // A version is never blank: a restore whose source could not be found must fail rather than save nothing.
      if (source.trim() === '') throw new IllegalState('DIAGRAM.SOURCE_MISSING', `The source for a new version of diagram ${diagramId} is blank`);
      if (sourceHash === diagram.latestHash) return [];
      const version = diagram.latestVersion + 1;
      return [{ type: 'DiagramVersionAdded', data: { diagramId, version, source, sourceHash, message, restoredFrom, addedBy: actor.sub, addedAt: at } }];
    }
    case 'RenameDiagram': {
      const { diagramId, title, actor } = command.data;
      const diagram = active(state, diagramId, actor);
      owned(diagram, actor, 'rename');
      if (diagram.title === title) return [];
      return [{ type: 'DiagramRenamed', data: { diagramId, from: diagram.title, title, renamedBy: actor.sub, renamedAt: at } }];
    }
    case 'DeleteDiagram': {
      const { diagramId, actor } = command.data;
      const diagram = active(state, diagramId, actor);
      owned(diagram, actor, 'delete');
      return [{ type: 'DiagramDeleted', data: { diagramId, deletedBy: actor.sub, deletedAt: at } }];
    }
    case 'UndeleteDiagram': {
      const { diagramId, actor } = command.data;
      const diagram = visible(state, diagramId, actor);
      owned(diagram, actor, 'undelete');
      if (diagram.status === 'active') return [];
      return [{ type: 'DiagramUndeleted', data: { diagramId, undeletedBy: actor.sub, undeletedAt: at } }];
    }
    default:
      return assertNever(command);
  }
}

/** A diagram edited for years grows long: commands load it from a snapshot kept every 100 events. */
export const diagramDecider: Decider<Diagram, DiagramCommand, DiagramEvent> = { decide, evolve, initialState, snapshots: { every: 100, schema: 1 } };
