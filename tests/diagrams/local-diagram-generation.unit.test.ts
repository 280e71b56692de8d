// The local provider's diagram generation: relations read from plain sentences, and sources that Graphviz parses
// and renders (DOT) or that pass the Mermaid check, whatever the prompt holds. Also the task and its intent: the
// answer schema holds the local answers and converts to Gemini's response schema; the intent bounds its input.
import test from 'ava';
import { checkMermaidSource } from '../../domain/diagrams/mermaid-check.js';
import { generateDiagramIntent } from '../../application/diagrams/diagram-intents.js';
import { diagramGenerationTask, type DiagramGenerationInput } from '../../application/diagrams/diagram-generation.js';
import { toGeminiSchema } from '../../infrastructure/ai/gemini/gemini-ai-provider.js';
import { LocalAiProvider } from '../../infrastructure/ai/local/local-ai-provider.js';
import { generateDiagramLocally, graphOf } from '../../infrastructure/ai/local/local-diagram-generation.js';
import { localTasks } from '../../infrastructure/ai/local/local-tasks.js';
import { graphvizRenderer } from '../../infrastructure/diagrams/graphviz-renderer.js';

// One renderer for the file: its lanes queue the checks and renderings, instead of a Graphviz thread per test.
const renderer = graphvizRenderer({ maxQueued: 64 });
test.after.always(() => renderer.close());

const ISSUE_EXAMPLE = 'The API writes events to the store. The relay reads the store and publishes to Kafka.';

/** Sentences naming 400 services in a chain, cut at 4000 characters (mid-word). */
const LONG_PROMPT = Array.from({ length: 400 }, (_, n) => `Service ${n} sends events to service ${n + 1}.`)
  .join(' ')
  .slice(0, 4000);

const PROMPTS: Readonly<Record<string, string>> = {
  'the issue\'s example': ISSUE_EXAMPLE,
  'a relative clause and a pronoun object': 'Users send requests to the API gateway. The gateway forwards them to the order service, which stores orders in PostgreSQL.',
  'predicates joined by commas and and': 'The API validates requests, writes events to the store and returns the position.',
  'a list of targets and a pronoun subject': 'The event store feeds the relay. It publishes events to Kafka, the projector and the enricher.',
  'passive sentences': 'Events are consumed by the projector. The store is read by the relay. Snapshots are written to S3.',
  'quotes and backslashes': 'The "quoted\\" service sends \\"data\\" to the "other" service\\.',
  'braces, brackets and pipes': 'The {api} writes [events] to the |store| and the store (PostgreSQL) feeds the {relay}; end.',
  'HTML and script tags': 'The <script>alert("x")</script> component calls the <b>backend</b> & the <img src=x onerror=alert(1)> sink.',
  'a chain of arrows': 'Mobile app -> API gateway --> auth service → "user" database',
  'arrows written in the text': 'The API -> store writes -> events to the relay --> Kafka. a -> b; c --> d [label="x"]',
  'emoji and other scripts': 'The 🚀 launcher calls the 数据库 backend. Überweisung triggers the Zahlung 💸. The app sends ✉️ to the user 👩‍💻.',
  'no verbs at all': 'Kafka, PostgreSQL, Redis and the API gateway.',
  'no words at all': '"{}[]<>|;#%->"',
  'a DOT keyword prompt': 'digraph node edge subgraph graph strict. The node sends the edge to the graph.',
  'Mermaid keywords': 'The end calls the subgraph. The graph sends click to style, and classDef links to end.',
  '4000 characters': LONG_PROMPT,
  'one 4000-character word': 'x'.repeat(3990) + '"{}<>',
};

test('the issue\'s example: API → store, relay → store, relay → Kafka, labelled with their verbs', (t) => {
  t.deepEqual(graphOf(ISSUE_EXAMPLE), {
    entities: [
      { id: 'n1', label: 'API' },
      { id: 'n2', label: 'store' },
      { id: 'n3', label: 'relay' },
      { id: 'n4', label: 'Kafka' },
    ],
    edges: [
      { from: 'n1', to: 'n2', label: 'writes events to' },
      { from: 'n3', to: 'n2', label: 'reads' },
      { from: 'n3', to: 'n4', label: 'publishes to' },
    ],
  });
  t.deepEqual(generateDiagramLocally({ prompt: ISSUE_EXAMPLE, format: 'dot' }), {
    title: 'API, store, relay and Kafka',
    source: [
      'digraph {',
      '  rankdir=LR;',
      '  node [shape=box, style=rounded];',
      '  n1 [label="API"];',
      '  n2 [label="store"];',
      '  n3 [label="relay"];',
      '  n4 [label="Kafka"];',
      '  n1 -> n2 [label="writes events to"];',
      '  n3 -> n2 [label="reads"];',
      '  n3 -> n4 [label="publishes to"];',
      '}',
      '',
    ].join('\n'),
  });
  t.is(
    generateDiagramLocally({ prompt: ISSUE_EXAMPLE, format: 'mermaid' }).source,
    'flowchart LR\n  n1["API"]\n  n2["store"]\n  n3["relay"]\n  n4["Kafka"]\n  n1 -->|"writes events to"| n2\n  n3 -->|"reads"| n2\n  n3 -->|"publishes to"| n4\n',
  );
});

const relationsOf = (prompt: string): string[] => {
  const { entities, edges } = graphOf(prompt);
  const name = (id: string) => entities.find((entity) => entity.id === id)!.label;
  return edges.map((edge) => `${name(edge.from)} -${edge.label}-> ${name(edge.to)}`);
};

test('entities are one node however they are written: case and articles do not count', (t) => {
  t.deepEqual(relationsOf('The Store feeds the relay. A relay reads the STORE. Those workers poll this store.'), [
    'Store -feeds-> relay',
    'relay -reads-> Store',
    'workers -poll-> Store',
  ]);
});

test('verbs joined by and share the subject; objects joined by and or commas each get an arrow', (t) => {
  t.deepEqual(relationsOf(PROMPTS['predicates joined by commas and and']!), ['API -validates-> requests', 'API -writes events to-> store', 'API -returns-> position']);
  t.deepEqual(relationsOf(PROMPTS['a list of targets and a pronoun subject']!), [
    'event store -feeds-> relay',
    'event store -publishes events to-> Kafka',
    'event store -publishes events to-> projector',
    'event store -publishes events to-> enricher',
  ]);
});

test('prepositional objects, relative clauses, modals, passives and new clauses after and', (t) => {
  t.deepEqual(relationsOf(PROMPTS['a relative clause and a pronoun object']!), [
    'Users -send requests to-> API gateway',
    'gateway -forwards to-> order service',
    'order service -stores orders in-> PostgreSQL',
  ]);
  t.deepEqual(relationsOf(PROMPTS['passive sentences']!), ['projector -consumed-> Events', 'relay -read-> store', 'Snapshots -written to-> S3']);
  t.deepEqual(relationsOf('Clients can call the API, and the API will query the read replicas.'), ['Clients -call-> API', 'API -query-> read replicas']);
  t.deepEqual(relationsOf('The API gets events from the store. The store is PostgreSQL. Orders get shipped to customers.'), [
    'API -gets events from-> store',
    'Orders -shipped to-> customers',
  ]);
  t.deepEqual(relationsOf('The scheduler enqueues jobs into the queue and the workers pull jobs from the queue.'), [
    'scheduler -enqueues jobs into-> queue',
    'workers -pull jobs from-> queue',
  ]);
});

test('names joined by arrows are a chain of unlabelled arrows; arrows around verbs are read as sentences', (t) => {
  t.deepEqual(relationsOf(PROMPTS['a chain of arrows']!), ['Mobile app --> API gateway', 'API gateway --> auth service', 'auth service --> user database']);
  t.is(
    generateDiagramLocally({ prompt: 'web -> api', format: 'dot' }).source,
    'digraph {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n  n1 [label="web"];\n  n2 [label="api"];\n  n1 -> n2;\n}\n',
  );
  t.is(generateDiagramLocally({ prompt: 'web -> api', format: 'mermaid' }).source, 'flowchart LR\n  n1["web"]\n  n2["api"]\n  n1 --> n2\n');
  t.deepEqual(relationsOf('The API -> store writes events to the relay.'), ['API store -writes events to-> relay']);
});

test('a prompt without relations still gets nodes: its noun phrases, or its first words', (t) => {
  t.deepEqual(graphOf(PROMPTS['no verbs at all']!), {
    entities: [
      { id: 'n1', label: 'Kafka' },
      { id: 'n2', label: 'PostgreSQL' },
      { id: 'n3', label: 'Redis' },
      { id: 'n4', label: 'API gateway' },
    ],
    edges: [],
  });
  t.deepEqual(graphOf(PROMPTS['no words at all']!), { entities: [{ id: 'n1', label: '"{}[]<>|;#%->"' }], edges: [] });
  t.is(generateDiagramLocally({ prompt: 'Kafka is a broker', format: 'dot' }).title, 'Kafka is a broker');
});

test('labels are escaped for each syntax: quotes and backslashes in DOT, entity codes in Mermaid; Graphviz draws them as text', async (t) => {
  const prompt = 'The bi"g\\ser{v}ice calls the st<b>ore 🚀.';
  t.deepEqual(relationsOf(prompt), ['bi"g\\ser{v}ice -calls-> st<b>ore 🚀']);
  const dot = generateDiagramLocally({ prompt, format: 'dot' }).source;
  t.true(dot.includes('  n1 [label="bi\\"g\\\\ser{v}ice"];\n  n2 [label="st<b>ore 🚀"];\n'), dot);
  const svg = await renderer.renderDotSvg(dot);
  if (svg.status !== 'ok') return t.fail(`rendered ${svg.status}`);
  t.true(svg.value.includes('>bi&quot;g\\ser{v}ice</text>'));
  t.true(svg.value.includes('>st&lt;b&gt;ore 🚀</text>'));
  const mermaid = generateDiagramLocally({ prompt, format: 'mermaid' }).source;
  t.is(mermaid, 'flowchart LR\n  n1["bi#34;g#92;ser#123;v#125;ice"]\n  n2["st#60;b#62;ore #128640;"]\n  n1 -->|"calls"| n2\n');
});

test('the same prompt always gives the same answer', (t) => {
  for (const prompt of Object.values(PROMPTS)) {
    for (const format of ['dot', 'mermaid'] as const) t.deepEqual(generateDiagramLocally({ prompt, format }), generateDiagramLocally({ prompt, format }));
  }
});

for (const [name, prompt] of Object.entries(PROMPTS)) {
  test(`${name}: the DOT source parses and renders, the Mermaid source passes its check, both answers fit the schema`, async (t) => {
    const dot = generateDiagramLocally({ prompt, format: 'dot' });
    t.true(diagramGenerationTask.answer.safeParse(dot).success);
    // Warnings may come (Graphviz has no width for some characters), errors may not.
    t.is((await renderer.checkDot(dot.source)).status, 'ok', dot.source);
    const svg = await renderer.renderDotSvg(dot.source);
    t.is(svg.status, 'ok');
    // Every node's label reaches the drawing as text (XML-escaped), not as markup.
    if (svg.status === 'ok') t.false(/<script|<img|<b>/u.test(svg.value));

    const mermaid = generateDiagramLocally({ prompt, format: 'mermaid' });
    t.true(diagramGenerationTask.answer.safeParse(mermaid).success);
    t.deepEqual(checkMermaidSource(mermaid.source), [], mermaid.source);
    // Nothing of the prompt reaches Mermaid as syntax: node lines and edge lines only, with quoted, coded labels.
    for (const line of mermaid.source.trim().split('\n').slice(1)) t.regex(line, /^ {2}n\d+(\["[^"<>[\]{}|;#]*(#\d+;[^"<>[\]{}|;#]*)*"\]| -->(\|"[^"<>[\]{}|;#]*(#\d+;[^"<>[\]{}|;#]*)*"\|)? n\d+)$/u, line);
  });
}

test('the long prompt reads as a chain of services, and the title stays within 200 characters', (t) => {
  const { title } = generateDiagramLocally({ prompt: LONG_PROMPT, format: 'dot' });
  t.is(title, 'Service 0, service 1, service 2, service 3, …');
  t.deepEqual(relationsOf(LONG_PROMPT).slice(0, 2), ['Service 0 -sends events to-> service 1', 'service 1 -sends events to-> service 2']);
  const wordy = generateDiagramLocally({ prompt: `${'antidisestablishmentarianism '.repeat(8)}`, format: 'dot' }).title;
  t.true(wordy.length <= 200 && wordy.length > 0);
});

test('the local provider runs the task by its name, and its answer passes the task\'s schema', async (t) => {
  const provider = new LocalAiProvider(localTasks);
  t.true(provider.supports(diagramGenerationTask));
  const input: DiagramGenerationInput = { prompt: ISSUE_EXAMPLE, format: 'mermaid' };
  const answer = diagramGenerationTask.answer.parse(await provider.run(diagramGenerationTask, input, new AbortController().signal));
  t.is(answer.title, 'API, store, relay and Kafka');
});

test('the answer schema converts to Gemini\'s response schema, and the instruction names the format', (t) => {
  t.deepEqual(toGeminiSchema(diagramGenerationTask.answer), {
    type: 'object',
    properties: {
      title: { type: 'string', description: 'A short title for the diagram, a few words, no quotes.' },
      source: { type: 'string', description: 'The diagram source only, in the requested format: no Markdown fences, no commentary.' },
    },
    required: ['title', 'source'],
  });
  t.is(diagramGenerationTask.name, 'diagrams.generate');
  const mermaid = diagramGenerationTask.describe({ prompt: 'a b', format: 'mermaid' });
  const dot = diagramGenerationTask.describe({ prompt: 'a b', format: 'dot' });
  t.is(mermaid.text, 'a b');
  t.regex(mermaid.instruction, /Write Mermaid syntax/u);
  t.regex(dot.instruction, /Write Graphviz DOT/u);
  t.false(dot.instruction.includes('Mermaid'));
});

test('the answer schema refuses an empty or oversized title or source', (t) => {
  const schema = diagramGenerationTask.answer;
  t.false(schema.safeParse({ title: '  ', source: 'digraph {}' }).success);
  t.false(schema.safeParse({ title: 'x'.repeat(201), source: 'digraph {}' }).success);
  t.false(schema.safeParse({ title: 'x', source: '' }).success);
  t.false(schema.safeParse({ title: 'x', source: 'x'.repeat(200_001) }).success);
  t.true(schema.safeParse({ title: 'x'.repeat(200), source: 'x'.repeat(200_000) }).success);
});

test('the generate-diagram intent runs the task and bounds its input', (t) => {
  t.is(generateDiagramIntent.name, 'generate-diagram');
  t.is(generateDiagramIntent.task, diagramGenerationTask);
  t.is(generateDiagramIntent.apply, undefined);
  const input = generateDiagramIntent.input;
  t.deepEqual(input.parse({ prompt: '  a b  ', format: 'dot' }), { prompt: 'a b', format: 'dot' });
  t.true(input.safeParse({ prompt: 'x'.repeat(4000), format: 'mermaid' }).success);
  for (const bad of [{ prompt: 'x'.repeat(4001), format: 'dot' }, { prompt: ' ', format: 'dot' }, { prompt: 'a', format: 'png' }, { prompt: 'a' }, { prompt: 'a', format: 'dot', extra: 1 }, null]) {
    t.false(input.safeParse(bad).success, JSON.stringify(bad));
  }
});

/** A seeded pseudo-random source (mulberry32): the same prompts on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = (
  'the a The API store relay Kafka workers users writes reads sends publishes calls stores is are by to into from via and , . ; ' +
  'which it then " \' \\ { } [ ] ( ) < > <script> </script> -> --> | # %% & ` end subgraph digraph node 🚀 👩‍💻 数据库 Ü \n'
).split(' ');

test('random sentences of words, verbs and syntax characters always give a DOT source that parses and a Mermaid source that passes', async (t) => {
  const random = seeded(20261203);
  for (let n = 0; n < 60; n++) {
    const length = 1 + Math.floor(random() * 80);
    const prompt = Array.from({ length }, () => PIECES[Math.floor(random() * PIECES.length)]).join(random() < 0.5 ? ' ' : '');
    const dot = generateDiagramLocally({ prompt, format: 'dot' });
    const mermaid = generateDiagramLocally({ prompt, format: 'mermaid' });
    t.true(diagramGenerationTask.answer.safeParse(dot).success && diagramGenerationTask.answer.safeParse(mermaid).success, JSON.stringify(prompt));
    t.is((await renderer.checkDot(dot.source)).status, 'ok', `${JSON.stringify(prompt)}\n${dot.source}`);
    t.deepEqual(checkMermaidSource(mermaid.source), [], `${JSON.stringify(prompt)}\n${mermaid.source}`);
  }
});
