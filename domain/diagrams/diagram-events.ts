// Diagrams: one stream per diagram (`diagram-<id>`) holding its creation (its source as version 1), its later
// versions, renames, deletion and undeletion. Every version's whole source is in its event, so a version reads
// without the ones before it; the aggregate's state keeps only what commands decide on (no sources), so that it
// stays small in snapshots however long the history grows.
import { assertNever, type Event } from '../kernel/decider.js';

export const DIAGRAM_FORMATS = ['mermaid', 'dot'] as const;
export type DiagramFormat = (typeof DIAGRAM_FORMATS)[number];

export const DIAGRAM_VISIBILITIES = ['private', 'shared'] as const;
export type DiagramVisibility = (typeof DIAGRAM_VISIBILITIES)[number];

export const DIAGRAM_TITLE_MAX_LENGTH = 200;
export const DIAGRAM_MESSAGE_MAX_LENGTH = 1000;
/** In Unicode code points, as drafts count their texts. */
export const DIAGRAM_SOURCE_MAX_LENGTH = 200_000;
export const DIAGRAM_PROMPT_MAX_LENGTH = 4000;

export const diagramStreamId = (diagramId: string): string => `diagram-${diagramId}`;

/** A version's content: the source, and its sha256 (hex), computed by the handler (the domain reads no crypto). */
export type DiagramSource = Readonly<{ source: string; sourceHash: string }>;

/** What a creation records: the diagram and its version 1. */
export type DiagramCreation = DiagramSource &
  Readonly<{
    diagramId: string;
    title: string;
    format: DiagramFormat;
    visibility: DiagramVisibility;
    /** The first version's message, if any. */
    message: string | null;
    ownerId: string;
    createdAt: string;
  }>;

export type DiagramCreated = Event<'DiagramCreated', DiagramCreation>;

/**
 * A creation too (the first event of its stream, in place of DiagramCreated): the first version was written by the
 * AI provider chain from `prompt`, by `provider`'s `model`. Readers treat it as DiagramCreated with these three more.
 */
export type DiagramGenerated = Event<'DiagramGenerated', DiagramCreation & Readonly<{ prompt: string; provider: string; model: string }>>;

/** `restoredFrom`: the version whose source this one repeats (POST .../restore), else null. */
export type DiagramVersionAdded = Event<
  'DiagramVersionAdded',
  DiagramSource & Readonly<{ diagramId: string; version: number; message: string | null; restoredFrom: number | null; addedBy: string; addedAt: string }>
>;

export type DiagramRenamed = Event<'DiagramRenamed', { diagramId: string; from: string; title: string; renamedBy: string; renamedAt: string }>;
export type DiagramDeleted = Event<'DiagramDeleted', { diagramId: string; deletedBy: string; deletedAt: string }>;
export type DiagramUndeleted = Event<'DiagramUndeleted', { diagramId: string; undeletedBy: string; undeletedAt: string }>;

export type DiagramEvent = DiagramCreated | DiagramGenerated | DiagramVersionAdded | DiagramRenamed | DiagramDeleted | DiagramUndeleted;

export const DIAGRAM_EVENT_TYPES: readonly DiagramEvent['type'][] = [
  'DiagramCreated',
  'DiagramGenerated',
  'DiagramVersionAdded',
  'DiagramRenamed',
  'DiagramDeleted',
  'DiagramUndeleted',
];

export type Diagram =
  | Readonly<{ status: 'initial' }>
  | Readonly<{
      status: 'active' | 'deleted';
      diagramId: string;
      ownerId: string;
      title: string;
      format: DiagramFormat;
      visibility: DiagramVisibility;
      latestVersion: number;
      /** sha256 of the latest version's source: a new version equal to it is a no-op. */
      latestHash: string;
    }>;

export const initialState = (): Diagram => ({ status: 'initial' });

export function evolve(state: Diagram, event: DiagramEvent): Diagram {
  switch (event.type) {
    case 'DiagramCreated':
    case 'DiagramGenerated': {
      const { diagramId, ownerId, title, format, visibility, sourceHash } = event.data;
      return { status: 'active', diagramId, ownerId, title, format, visibility, latestVersion: 1, latestHash: sourceHash };
    }
    case 'DiagramVersionAdded':
      return state.status === 'initial' ? state : { ...state, latestVersion: event.data.version, latestHash: event.data.sourceHash };
    case 'DiagramRenamed':
      return state.status === 'initial' ? state : { ...state, title: event.data.title };
    case 'DiagramDeleted':
      return state.status === 'initial' ? state : { ...state, status: 'deleted' };
    case 'DiagramUndeleted':
      return state.status === 'initial' ? state : { ...state, status: 'active' };
    default:
      return assertNever(event);
  }
}
