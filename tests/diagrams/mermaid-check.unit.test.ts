// The structural Mermaid check: the diagram type line and the blocks closed by `end`, with 1-based lines. Valid
// samples come from Mermaid's documentation and must all pass: the check may miss errors, never refuse a diagram.
import test from 'ava';
import { checkMermaidSource } from '../../domain/diagrams/mermaid-check.js';

const VALID: Readonly<Record<string, string>> = {
  'flowchart with a direction and a subgraph': 'flowchart LR\n  a["API"] --> b[(store)]\n  subgraph pipeline [The pipeline]\n    b --> c{relay}\n  end\n',
  'graph TD with statements after a semicolon': 'graph TD; A-->B; subgraph one; B-->C; end',
  'flowchart without a direction': 'flowchart\n  A --> B',
  'flowchart-elk with a subgraph': 'flowchart-elk TD\n  subgraph s\n    A --> B\n  end',
  'asymmetric shapes and edge text with brackets': 'flowchart TB\n  A>flag] -->|"a ] b ["| B((circle))\n  B -.-> C[/lean/]',
  'nested subgraphs': 'flowchart TB\n  subgraph outer\n    subgraph inner\n      a --> b\n    end\n  end',
  'a quoted label that spans lines and says end': 'flowchart LR\n  a["`first line\nend\nlast line`"] --> b',
  'front matter, a directive and comments first': '---\ntitle: Pipeline\nconfig:\n  theme: forest\n---\n%%{init: {"flowchart": {"curve": "basis"}}}%%\n\n%% a comment\nflowchart LR\n  a --> b',
  'a directive over several lines': '%%{\n  init: { "theme": "dark" }\n}%%\nsequenceDiagram\n  Alice->>Bob: Hi',
  'sequence blocks, nested, with else': 'sequenceDiagram\n  participant A\n  loop Every minute\n    A->>B: ping\n    alt is up\n      B-->>A: pong\n    else is down\n      A->>A: alert\n    end\n  end\n  rect rgb(0, 255, 0)\n    A->>B: hi\n  end',
  'classDiagram': 'classDiagram\n  class Animal {\n    +String name\n  }\n  Animal <|-- Duck',
  'stateDiagram-v2': 'stateDiagram-v2\n  [*] --> Still\n  Still --> [*]',
  'erDiagram': 'erDiagram\n  CUSTOMER ||--o{ ORDER : places',
  'pie with showData and a title': 'pie showData title Pets\n  "Dogs" : 386\n  "Cats" : 85',
  'pie with a title': 'pie title Pets\n  "Dogs" : 1',
  'gantt': 'gantt\n  title A Gantt Diagram\n  dateFormat YYYY-MM-DD\n  section Section\n  A task :a1, 2014-01-01, 30d',
  'gitGraph with a colon': 'gitGraph:\n  commit\n  branch develop\n  commit',
  'gitGraph LR with a colon': 'gitGraph LR:\n  commit',
  'journey': 'journey\n  title My working day\n  section Go to work\n    Make tea: 5: Me',
  'mindmap': 'mindmap\n  root((mindmap))\n    Origins',
  'timeline': 'timeline\n  title History\n  2002 : LinkedIn',
  'quadrantChart': 'quadrantChart\n  title Reach\n  x-axis Low --> High',
  'requirementDiagram': 'requirementDiagram\n  requirement test_req {\n  id: 1\n  }',
  'C4Context': 'C4Context\n  title System Context\n  Person(customerA, "Banking Customer A")',
  'sankey-beta': 'sankey-beta\n  Agricultural waste,Bio-conversion,124.729',
  'xychart-beta': 'xychart-beta\n  title "Sales"\n  bar [5000, 6000]',
  'block-beta': 'block-beta\n  columns 3\n  a b c',
  'Windows line ends': 'flowchart LR\r\n  a --> b\r\n  subgraph s\r\n  b --> c\r\n  end\r\n',
};

for (const [name, source] of Object.entries(VALID)) {
  test(`passes: ${name}`, (t) => {
    t.deepEqual(checkMermaidSource(source), []);
  });
}

test('an unknown diagram type is reported at its line, after blank lines, comments and front matter', (t) => {
  t.deepEqual(checkMermaidSource('\n%% comment\nflowchat LR\n  a --> b'), [
    { line: 3, message: 'Unknown diagram type "flowchat": the first line must name one, such as flowchart LR, sequenceDiagram or classDiagram' },
  ]);
  t.deepEqual(checkMermaidSource('---\ntitle: x\n---\nA --> B').map((problem) => problem.line), [4]);
  t.deepEqual(checkMermaidSource('digraph { a -> b }').map((problem) => problem.line), [1], 'a DOT source is not Mermaid');
  t.deepEqual(checkMermaidSource('sequencediagram\n  A->>B: hi').map((problem) => problem.line), [1], 'types are case-sensitive');
});

test('a source with nothing but blanks, comments or front matter holds no diagram', (t) => {
  for (const source of ['', '  \n\n', '%% only a comment', '---\ntitle: x\n---\n']) {
    t.deepEqual(checkMermaidSource(source), [{ line: null, message: 'The source holds no diagram' }], JSON.stringify(source));
  }
});

test('front matter that is never closed is reported at its first line', (t) => {
  t.deepEqual(checkMermaidSource('---\ntitle: x\nflowchart LR\n  a --> b'), [{ line: 1, message: 'The front matter opened by --- is never closed by another ---' }]);
});

test('a flowchart direction Mermaid does not know is reported', (t) => {
  t.deepEqual(checkMermaidSource('flowchart sideways\n  a --> b'), [{ line: 1, message: 'Unknown flowchart direction "sideways": use TB, TD, BT, RL or LR' }]);
});

test('a pie chart line with something else than showData or a title is reported', (t) => {
  t.deepEqual(checkMermaidSource('pie chart\n  "a" : 1').map((problem) => problem.line), [1]);
});

test('an elk flowchart\'s subgraphs are checked like any flowchart\'s', (t) => {
  t.deepEqual(checkMermaidSource('flowchart-elk\n  subgraph s\n    A --> B'), [{ line: 2, message: 'This subgraph is never closed: add a line with end' }]);
});

test('an unclosed subgraph is reported where it opens, an end without one where it stands', (t) => {
  t.deepEqual(checkMermaidSource('flowchart LR\n  subgraph one\n    a --> b\n  subgraph two\n    c --> d\n  end'), [
    { line: 2, message: 'This subgraph is never closed: add a line with end' },
  ]);
  t.deepEqual(checkMermaidSource('flowchart LR\n  a --> b\n  end\n  c --> d'), [{ line: 3, message: 'end without an open subgraph' }]);
});

test('sequence diagram blocks must be closed by end', (t) => {
  t.deepEqual(checkMermaidSource('sequenceDiagram\n  loop Every minute\n    A->>B: ping\n  opt maybe\n    B->>A: pong\n  end'), [
    { line: 2, message: 'This block is never closed: add a line with end' },
  ]);
  t.deepEqual(checkMermaidSource('sequenceDiagram\n  A->>B: ping\n  end'), [{ line: 3, message: 'end without an open block' }]);
});

test('an end inside a quoted label does not close a subgraph', (t) => {
  t.deepEqual(checkMermaidSource('flowchart LR\n  subgraph s\n  a["x; end"] --> b'), [{ line: 2, message: 'This subgraph is never closed: add a line with end' }]);
});
