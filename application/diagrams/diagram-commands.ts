// Diagram command handlers: load the diagram's stream (from its snapshot), decide, append with optimistic
// concurrency. Sources arrive validated (api/http/diagrams.ts asks the renderer); their sha256 is computed here,
// since the domain reads no crypto.
import { createHash } from 'node:crypto';
import {
  diagramDecider,
  type AddDiagramVersion,
  type CreateDiagram,
  type DeleteDiagram,
  type DiagramActor,
  type DiagramCommand,
  type RenameDiagram,
  type UndeleteDiagram,
} from '../../domain/diagrams/diagram-commands.js';
import { diagramStreamId, type DiagramEvent, type DiagramFormat, type DiagramVisibility } from '../../domain/diagrams/diagram-events.js';
import { handleCommand, type CommandContext, type CommandDependencies, type CommandResult } from '../kernel/handle-command.js';
import type { EventStore } from '../ports/event-store.js';

export type DiagramCommandResult = CommandResult &
  Readonly<{
    id: string;
    /** The diagram's latest version after the command. */
    version: number;
    /** True when the command changed nothing (the same source, title, or a diagram not deleted). */
    unchanged: boolean;
  }>;

export const sourceHashOf = (source: string): string => createHash('sha256').update(source, 'utf8').digest('hex');

type CommandOf<T extends DiagramCommand['type']> = Extract<DiagramCommand, { type: T }>;

async function run<T extends DiagramCommand['type']>(
  deps: CommandDependencies,
  diagramId: string,
  type: T,
  data: CommandOf<T>['data'],
  context: CommandContext,
): Promise<DiagramCommandResult> {
  const result = await handleCommand(deps, diagramDecider, diagramStreamId(diagramId), (now) => ({ type, data, metadata: { now } }) as CommandOf<T>, context);
  // The version after the command; a request that ran before (a retry after a crash) answers with the stream's.
  const after = result.events.reduce(diagramDecider.evolve, result.state);
  return {
    streamId: result.streamId,
    revision: result.revision,
    position: result.position,
    id: diagramId,
    version: after.status === 'initial' ? 1 : after.latestVersion,
    unchanged: result.events.length === 0,
  };
}

export type NewDiagram = Readonly<{
  title: string;
  format: DiagramFormat;
  visibility: DiagramVisibility;
  source: string;
  message: string | null;
  generation: CreateDiagram['data']['generation'];
}>;

export async function createDiagram(deps: CommandDependencies, input: NewDiagram, actor: DiagramActor, context: CommandContext): Promise<DiagramCommandResult> {
  const diagramId = deps.ids.next();
  const data = { diagramId, ...input, sourceHash: sourceHashOf(input.source), actor };
  return run<CreateDiagram['type']>(deps, diagramId, 'CreateDiagram', data, { ...context, newStream: true });
}

export const addDiagramVersion = (deps: CommandDependencies, diagramId: string, input: { source: string; message: string | null }, actor: DiagramActor, context: CommandContext) =>
  run<AddDiagramVersion['type']>(deps, diagramId, 'AddDiagramVersion', { diagramId, ...input, sourceHash: sourceHashOf(input.source), restoredFrom: null, actor }, context);

/** Where a version's source may be found without the event store (the versions read model); null: not there (yet). */
export type VersionSources = (diagramId: string, version: number) => Promise<string | null>;

/**
 * Adds a version equal to version `version`, whose source is found without folding the stream: in `known` (the
 * versions read model: a version never changes once written, so a row there is the truth), else in the event store.
 * There version n is the stream's nth version event, so it sits at revision n - 1 or later (later by the renames and
 * deletions before it): reading from revision n - 1 finds it after as many events as those, never after the
 * versions around it. No lock is needed, and the append's own precondition guards the diagram's current state.
 */
export async function restoreDiagramVersion(
  deps: CommandDependencies,
  diagramId: string,
  version: number,
  actor: DiagramActor,
  context: CommandContext,
  known: VersionSources = async () => null,
): Promise<DiagramCommandResult> {
  const source = (await known(diagramId, version)) ?? (await versionSource(deps.store, diagramId, version));
  // Not found: the version is past the latest (or the diagram does not exist), which the decider refuses before it
  // reads the source, after it has checked who may see the diagram (so a private diagram stays a 404 for others).
  const restored = source ?? '';
  const data = { diagramId, source: restored, sourceHash: sourceHashOf(restored), message: `Restored version ${version}`, restoredFrom: version, actor };
  return run<AddDiagramVersion['type']>(deps, diagramId, 'AddDiagramVersion', data, context);
}

/** The source of version `version` of the diagram, from its stream; null when the stream has no such version. */
async function versionSource(store: EventStore, diagramId: string, version: number): Promise<string | null> {
  if (!Number.isSafeInteger(version) || version < 1) return null;
  for await (const recorded of store.readStream(diagramStreamId(diagramId), { from: version - 1 })) {
    const event = recorded as unknown as DiagramEvent;
    if ((event.type === 'DiagramCreated' || event.type === 'DiagramGenerated') && version === 1) return event.data.source;
    if (event.type === 'DiagramVersionAdded' && event.data.version === version) return event.data.source;
    if (event.type === 'DiagramVersionAdded' && event.data.version > version) return null;
  }
  return null;
}

export const renameDiagram = (deps: CommandDependencies, diagramId: string, title: string, actor: DiagramActor, context: CommandContext) =>
  run<RenameDiagram['type']>(deps, diagramId, 'RenameDiagram', { diagramId, title, actor }, context);

export const deleteDiagram = (deps: CommandDependencies, diagramId: string, actor: DiagramActor, context: CommandContext) =>
  run<DeleteDiagram['type']>(deps, diagramId, 'DeleteDiagram', { diagramId, actor }, context);

export const undeleteDiagram = (deps: CommandDependencies, diagramId: string, actor: DiagramActor, context: CommandContext) =>
  run<UndeleteDiagram['type']>(deps, diagramId, 'UndeleteDiagram', { diagramId, actor }, context);
