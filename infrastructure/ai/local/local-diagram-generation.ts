// Diagram generation, offline: the relations the sentences state (diagram-sentences.ts) become the arrows of a
// left-to-right graph, one node per entity however it is written ("The store" = "store"), in DOT or Mermaid.
// Node ids are generated (n1, n2, ...) and every label is escaped, so no text of the prompt can break the syntax.
// A prompt that states no relation still gets a diagram: one node per noun phrase, or one node with its first words.
import { diagramGenerationTask, type DiagramGenerationAnswer, type DiagramGenerationInput } from '../../../application/diagrams/diagram-generation.js';
import { DIAGRAM_PROMPT_MAX_LENGTH, DIAGRAM_TITLE_MAX_LENGTH, type DiagramFormat } from '../../../domain/diagrams/diagram-events.js';
import { readRelations } from './diagram-sentences.js';
import { localTask } from './local-ai-provider.js';

export type DiagramEntity = Readonly<{ id: string; label: string }>;
export type DiagramEdge = Readonly<{ from: string; to: string; label: string }>;
/** What a prompt describes: entities in the order they are first named, arrows between their ids (label '' for none). */
export type DiagramGraph = Readonly<{ entities: readonly DiagramEntity[]; edges: readonly DiagramEdge[] }>;

const MAX_FALLBACK_NODES = 12;
const FALLBACK_WORDS = 8;
const MAX_NODE_LABEL_LENGTH = 80;

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`);
/** Control characters and line breaks as spaces, runs of spaces as one. */
const oneLine = (text: string): string => text.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();
const entityKey = (name: string): string => name.normalize('NFKC').toLowerCase();

function firstWords(prompt: string): string {
  return clip(oneLine(prompt).split(' ').slice(0, FALLBACK_WORDS).join(' '), MAX_NODE_LABEL_LENGTH);
}

export function graphOf(prompt: string): DiagramGraph {
  const text = prompt.slice(0, DIAGRAM_PROMPT_MAX_LENGTH);
  const { relations, phrases } = readRelations(text);
  const ids = new Map<string, DiagramEntity>();
  const idOf = (name: string): string => {
    const key = entityKey(name);
    let entity = ids.get(key);
    if (entity === undefined) {
      entity = { id: `n${ids.size + 1}`, label: clip(oneLine(name), MAX_NODE_LABEL_LENGTH) };
      ids.set(key, entity);
    }
    return entity.id;
  };
  const edges: DiagramEdge[] = [];
  const seen = new Set<string>();
  for (const relation of relations) {
    const edge = { from: idOf(relation.from), to: idOf(relation.to), label: oneLine(relation.label) };
    const key = `${edge.from}\u0000${edge.to}\u0000${edge.label}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push(edge);
  }
  if (edges.length === 0) {
    for (const phrase of phrases) if (ids.size < MAX_FALLBACK_NODES) idOf(phrase);
    if (ids.size === 0) idOf(firstWords(text) || 'Diagram');
  }
  return { entities: [...ids.values()], edges };
}

/** A DOT double-quoted string: backslashes and quotes escaped (a lone backslash would start an escape such as \l). */
const dotString = (text: string): string => `"${text.replace(/\\/gu, '\\\\').replace(/"/gu, '\\"')}"`;

/**
 * A Mermaid quoted label: everything but letters, digits, spaces and plain punctuation as an entity code (`#35;`),
 * so quotes, brackets, pipes, `<`, `#`, `;` and emoji are text, never syntax or HTML.
 */
const mermaidString = (text: string): string => `"${text.replace(/[^\p{L}\p{N} .,:_'/+*=!?@$-]/gu, (char) => `#${char.codePointAt(0)};`)}"`;

function dotOf({ entities, edges }: DiagramGraph): string {
  return [
    'digraph {',
    '  rankdir=LR;',
    '  node [shape=box, style=rounded];',
    ...entities.map((entity) => `  ${entity.id} [label=${dotString(entity.label)}];`),
    ...edges.map((edge) => `  ${edge.from} -> ${edge.to}${edge.label === '' ? '' : ` [label=${dotString(edge.label)}]`};`),
    '}',
    '',
  ].join('\n');
}

function mermaidOf({ entities, edges }: DiagramGraph): string {
  return [
    'flowchart LR',
    ...entities.map((entity) => `  ${entity.id}[${mermaidString(entity.label)}]`),
    ...edges.map((edge) => (edge.label === '' ? `  ${edge.from} --> ${edge.to}` : `  ${edge.from} -->|${mermaidString(edge.label)}| ${edge.to}`)),
    '',
  ].join('\n');
}

/** The first entities named ("API, store, relay and Kafka"), or the prompt's first words. */
function titleOf(graph: DiagramGraph, prompt: string): string {
  const names = graph.entities.slice(0, 4).map((entity) => entity.label);
  const more = graph.entities.length > names.length;
  const listed = names.length <= 1 || more ? names.join(', ') + (more ? ', …' : '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const title = graph.edges.length > 0 ? listed : firstWords(prompt);
  return clip(oneLine(title), DIAGRAM_TITLE_MAX_LENGTH) || 'Diagram';
}

const SOURCE_OF: Readonly<Record<DiagramFormat, (graph: DiagramGraph) => string>> = { dot: dotOf, mermaid: mermaidOf };

export function generateDiagramLocally({ prompt, format }: DiagramGenerationInput): DiagramGenerationAnswer {
  const graph = graphOf(prompt);
  return { title: titleOf(graph, prompt), source: SOURCE_OF[format](graph) };
}

export const localDiagramGeneration = localTask(diagramGenerationTask, generateDiagramLocally);
