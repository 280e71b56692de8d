// A structural check of Mermaid sources, without Mermaid (which needs a browser): the diagram type is one Mermaid
// knows, and blocks opened with `subgraph` (flowcharts) or `loop`/`alt`/... (sequence diagrams) are closed by `end`.
// It only reports what no valid diagram can contain; whatever it cannot be sure of, it lets pass.

/** Something wrong with a source, at its line when one is at fault (lines count from 1). */
export type MermaidProblem = Readonly<{ line: number | null; message: string }>;

/**
 * The diagram types of Mermaid 11's documentation, as their first line names them. The `-beta` spellings are what
 * Mermaid 11 documents; the plain spellings are accepted by its newer releases for the same diagrams.
 */
const MERMAID_DIAGRAM_TYPES: readonly string[] = [
  'flowchart',
  'flowchart-elk',
  'graph',
  'sequenceDiagram',
  'classDiagram',
  'classDiagram-v2',
  'stateDiagram',
  'stateDiagram-v2',
  'erDiagram',
  'journey',
  'gantt',
  'pie',
  'gitGraph',
  'mindmap',
  'timeline',
  'quadrantChart',
  'requirementDiagram',
  'C4Context',
  'C4Container',
  'C4Component',
  'C4Dynamic',
  'C4Deployment',
  'sankey-beta',
  'sankey',
  'xychart-beta',
  'xychart',
  'block-beta',
  'block',
  'packet-beta',
  'packet',
  'kanban',
  'architecture-beta',
  'radar-beta',
  'treemap-beta',
  'zenuml',
  'info',
];

const KNOWN_TYPES = new Set(MERMAID_DIAGRAM_TYPES);
const FLOWCHARTS = new Set(['flowchart', 'flowchart-elk', 'graph']);
/** Flowchart directions, including the arrow spellings Mermaid's lexer takes (`graph >`). */
const FLOWCHART_DIRECTIONS = new Set(['TB', 'TD', 'BT', 'RL', 'LR', '<', '>', '^', 'v']);
/** Sequence diagram statements that open a block closed by `end`. */
const SEQUENCE_BLOCKS = new Set(['loop', 'alt', 'opt', 'par', 'par_over', 'critical', 'break', 'rect', 'box']);

type Line = Readonly<{ number: number; text: string }>;

/** The lines that say something: blank lines, `%%` comments and `%%{ ... }%%` directives (even over lines) left out. */
function meaningfulLines(lines: readonly string[], from: number): Line[] {
  const kept: Line[] = [];
  let inDirective = false;
  for (let index = from; index < lines.length; index++) {
    const text = lines[index]!.trim();
    if (inDirective) {
      if (text.includes('}%%')) inDirective = false;
      continue;
    }
    if (text.startsWith('%%{') && !text.includes('}%%')) {
      inDirective = true;
      continue;
    }
    if (text === '' || text.startsWith('%%')) continue;
    kept.push({ number: index + 1, text });
  }
  return kept;
}

/** Where the diagram starts: after a leading `---` front-matter block, if any. @returns null when the block never ends. */
function afterFrontMatter(lines: readonly string[]): number | null {
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first === -1 || lines[first]!.trim() !== '---') return 0;
  const end = lines.findIndex((line, index) => index > first && line.trim() === '---');
  return end === -1 ? null : end + 1;
}

function checkHeader(header: Line): MermaidProblem[] {
  const [type = '', ...rest] = header.text.split(/[\s;]+/u).filter((word) => word !== '');
  // `gitGraph:` and `gitGraph LR:` take a colon.
  const name = type.replace(/:$/u, '');
  if (!KNOWN_TYPES.has(name)) {
    return [{ line: header.number, message: `Unknown diagram type ${JSON.stringify(type.slice(0, 40))}: the first line must name one, such as flowchart LR, sequenceDiagram or classDiagram` }];
  }
  if (FLOWCHARTS.has(name)) {
    // The direction, if any, ends at the first `;`: statements may follow it on the same line.
    const direction = header.text.slice(type.length).split(';')[0]!.trim();
    if (direction !== '' && !FLOWCHART_DIRECTIONS.has(direction.toUpperCase()) && !FLOWCHART_DIRECTIONS.has(direction)) {
      return [{ line: header.number, message: `Unknown flowchart direction ${JSON.stringify(direction.slice(0, 40))}: use TB, TD, BT, RL or LR` }];
    }
  }
  if (name === 'pie' && rest.length > 0 && rest[0] !== 'showData' && rest[0] !== 'title') {
    return [{ line: header.number, message: 'A pie chart\'s first line takes only showData and a title (pie showData title ...)' }];
  }
  return [];
}

/**
 * Blocks opened by the statements `opens` accepts must be closed by a statement that is `end`. Statements end at a
 * line's end or at a `;`; text inside double quotes (labels, which may span lines) is not read.
 */
function checkBlocks(body: readonly Line[], opens: (firstWord: string) => boolean, what: string): MermaidProblem[] {
  const problems: MermaidProblem[] = [];
  const open: number[] = [];
  let inString = false;
  for (const line of body) {
    let statement = '';
    const statements: string[] = [];
    for (const char of line.text) {
      if (char === '"') inString = !inString;
      else if (char === ';' && !inString) {
        statements.push(statement);
        statement = '';
        continue;
      }
      // A statement's words are read outside quotes only.
      if (!inString && char !== '"') statement += char;
      else statement += ' ';
    }
    statements.push(statement);
    for (const text of statements.map((part) => part.trim())) {
      if (text === 'end') {
        if (open.pop() === undefined) problems.push({ line: line.number, message: `end without an open ${what}` });
      } else if (opens(text.split(/\s+/u)[0]!)) {
        open.push(line.number);
      }
    }
  }
  for (const line of open) problems.push({ line, message: `This ${what} is never closed: add a line with end` });
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** The problems of a Mermaid source; an empty list when it passes. */
export function checkMermaidSource(source: string): readonly MermaidProblem[] {
  const lines = source.split(/\r\n|\r|\n/u);
  const start = afterFrontMatter(lines);
  if (start === null) return [{ line: 1, message: 'The front matter opened by --- is never closed by another ---' }];
  const [header, ...body] = meaningfulLines(lines, start);
  if (header === undefined) return [{ line: null, message: 'The source holds no diagram' }];
  const headerProblems = checkHeader(header);
  if (headerProblems.length > 0) return headerProblems;
  const type = header.text.split(/[\s;]+/u)[0]!;
  // Statements may follow the header on its line, after a `;` (`graph TD; a --> b`).
  const semicolon = header.text.indexOf(';');
  if (semicolon !== -1) body.unshift({ number: header.number, text: header.text.slice(semicolon + 1) });
  if (FLOWCHARTS.has(type)) return checkBlocks(body, (word) => word === 'subgraph', 'subgraph');
  if (type === 'sequenceDiagram') return checkBlocks(body, (word) => SEQUENCE_BLOCKS.has(word), 'block');
  return [];
}
