// Writes .env.example from the configuration reference: every variable Chorus reads, with its default and what it
// does. `npm run env:example` writes the file; `-- --readme` also rewrites the README's Configuration table from the
// same reference. tests/platform/configuration-reference.unit.test.ts checks both against what this renders.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { configurationReference, type ConfigurationEntry } from '../infrastructure/config-reference.js';
import { configurationKeys } from '../infrastructure/config.js';

const entries = (): [string, ConfigurationEntry][] => Object.entries(configurationReference);

/** Markdown links read as their text in a plain-text file. */
const plain = (markdown: string): string => markdown.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');

export function renderEnvExample(): string {
  const header = [
    '# Every variable Chorus reads, with its default (written by `npm run env:example` from',
    '# infrastructure/config-reference.ts; do not edit by hand). An empty value counts as unset.',
    '# Copy it to .env, change what you need and load it into a shell with `set -a; . ./.env; set +a`.',
  ];
  const blocks = entries().map(([key, entry]) => {
    const computed = entry.shown === undefined ? '' : ` (default: ${entry.shown})`;
    return `# ${plain(entry.description)}${computed}\n${key}=${entry.default}`;
  });
  return `${header.join('\n')}\n\n${blocks.join('\n\n')}\n`;
}

const TABLE_HEADER = ['| variable | default | meaning |', '|---|---|---|'];

export const defaultCell = (entry: ConfigurationEntry): string => entry.shown ?? (entry.default === '' ? '—' : `\`${entry.default}\``);

/** The README's Configuration table, header included. */
export function renderConfigurationTable(): string {
  const rows = entries().map(([key, entry]) => `| \`${key}\` | ${defaultCell(entry)} | ${entry.description} |`);
  return [...TABLE_HEADER, ...rows].join('\n');
}

/** The first Markdown table after `## Configuration`: its lines, and where they are. */
export function configurationTableOf(readme: string): { lines: string[]; start: number; end: number } {
  const lines = readme.split('\n');
  const section = lines.indexOf('## Configuration');
  if (section === -1) throw new Error('README.md has no "## Configuration" section');
  const start = lines.findIndex((line, index) => index > section && line.startsWith('|'));
  if (start === -1) throw new Error('the Configuration section of README.md has no table');
  let end = start;
  while (end < lines.length && lines[end]!.startsWith('|')) end += 1;
  return { lines: lines.slice(start, end), start, end };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: '.env.example' }, readme: { type: 'boolean', default: false } } });
  writeFileSync(values.out, renderEnvExample());
  console.log(`${values.out}: ${configurationKeys.length} variables`);
  if (values.readme) {
    const readme = readFileSync('README.md', 'utf8');
    const { start, end } = configurationTableOf(readme);
    const lines = readme.split('\n');
    lines.splice(start, end - start, ...renderConfigurationTable().split('\n'));
    writeFileSync('README.md', lines.join('\n'));
    console.log('README.md: Configuration table rewritten');
  }
}
