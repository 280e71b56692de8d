// `npm run bench`: prints every benchmark figure as a table (`--json`: as JSON), Chorus beside Emmett where both
// apply; `--only append,read,http,embedded,kafka,drafts,diagrams` runs some groups. Figures only: nothing here asserts.
// What each figure measures, and how: tests/bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { asJson, skipped, table, type Figure } from './figures.js';
import { draftsFigures } from './drafts-benchmarks.js';
import { draftMetricsFigures } from './draft-metrics.js';
import { dfnFigures } from './dfn-benchmark.js';
import { diagramsFigures } from './diagrams-benchmark.js';
import { embeddedFigures, postgresHttpFigures } from './http-benchmarks.js';
import { kafkaFigures } from './kafka-benchmark.js';
import { progress } from './progress.js';
import { appendFigures, readFigures, type EmmettLoader } from './store-benchmarks.js';

const GROUPS = ['append', 'read', 'http', 'embedded', 'kafka', 'drafts', 'metrics', 'dfn', 'diagrams'] as const;
type Group = (typeof GROUPS)[number];
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const EMMETT_PACKAGE = fileURLToPath(new URL('./emmett/', import.meta.url));

const usage = `usage: npm run bench [-- --json] [-- --only ${GROUPS.join(',')}]`;
const { values: options } = parseArgs({
  options: { json: { type: 'boolean', default: false }, only: { type: 'string' }, help: { type: 'boolean', default: false } },
});
if (options.help) {
  console.log(usage);
  process.exit(0);
}
const groups = (options.only?.split(',').map((name) => name.trim()) ?? [...GROUPS]) as Group[];
const unknown = groups.filter((group) => !GROUPS.includes(group));
if (unknown.length > 0) {
  console.error(`unknown group ${unknown.join(', ')}\n${usage}`);
  process.exit(2);
}

const serverUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const started = new Date();
const machine = {
  cores: os.availableParallelism(),
  cpu: os.cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))),
  node: process.version,
  postgresql: await postgresVersion(serverUrl),
};
const database = {
  url: withoutCredentials(serverUrl),
  note: process.env.DATABASE_URL ? 'from DATABASE_URL' : `DATABASE_URL unset: the benchmark defaults it to ${DEFAULT_DATABASE_URL}`,
};
progress(`Chorus benchmarks: ${groups.join(', ')}; ${machine.cores} cores, Node ${machine.node}, PostgreSQL ${machine.postgresql}`);

const loadEmmett: EmmettLoader = async () => {
  const problem = installEmmett();
  if (problem !== undefined) return problem;
  const { openEmmettStore } = await import('./emmett/emmett-store.js');
  return openEmmettStore;
};

const runners: Record<Group, () => Promise<Figure[]>> = {
  append: () => appendFigures(serverUrl, loadEmmett),
  read: () => readFigures(serverUrl, loadEmmett),
  http: () => postgresHttpFigures(serverUrl),
  embedded: () => embeddedFigures(),
  kafka: () => kafkaFigures(serverUrl, process.env),
  drafts: () => draftsFigures(serverUrl, Number(process.env.CHORUS_BENCH_DRAFTS_SECONDS) || undefined),
  metrics: () => draftMetricsFigures(),
  dfn: () => dfnFigures(),
  diagrams: () => diagramsFigures(serverUrl),
};
const figures: Figure[] = [];
for (const group of GROUPS.filter((candidate) => groups.includes(candidate))) {
  try {
    figures.push(...(await runners[group]()));
  } catch (error) {
    // One group failing leaves the others' figures; the table says which failed and stderr says why.
    console.error(error);
    figures.push({ name: `${group}: failed`, unit: 'ev/s', chorus: skipped(`failed: ${(error as Error).message.split('\n')[0]}`) });
  }
}
const seconds = Math.round((Date.now() - started.getTime()) / 1000);

if (options.json) {
  console.log(JSON.stringify({ started: started.toISOString(), seconds, machine, database, figures: figures.map(asJson) }, null, 2));
} else {
  console.log(
    [
      `Chorus benchmarks, ${started.toISOString()} (${seconds} s)`,
      `machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, load average ${machine.loadAverage.join(' ')} at the start`,
      `Node ${machine.node}, PostgreSQL ${machine.postgresql} at ${database.url} (${database.note})`,
      'Chorus/Emmett figures are the median of their rounds; Chorus and Emmett rounds alternate.',
      '',
      table(figures),
    ].join('\n'),
  );
}
// The pools, the Kafka clients and the child processes have all been closed; nothing should hold the process.
process.exit(0);

/** Emmett lives in a package of its own (its peers clash with Chorus's); installs it on first use. */
function installEmmett(): string | undefined {
  const wanted = (JSON.parse(readFileSync(`${EMMETT_PACKAGE}package.json`, 'utf8')) as { dependencies: Record<string, string> }).dependencies;
  const installed = `${EMMETT_PACKAGE}node_modules/@event-driven-io/emmett-postgresql/package.json`;
  const current = existsSync(installed) ? (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version : undefined;
  if (current === wanted['@event-driven-io/emmett-postgresql']) return undefined;
  progress('installing Emmett for the comparison: npm ci in tests/bench/emmett');
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: EMMETT_PACKAGE, stdio: ['ignore', 2, 2] });
  return npm.status === 0 ? undefined : 'n/a: installing Emmett failed (npm ci in tests/bench/emmett)';
}

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return rows[0]?.server_version ?? 'unknown';
  } catch (error) {
    return `unreachable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}
