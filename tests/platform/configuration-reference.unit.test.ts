// The configuration's documentation agrees with its schema: .env.example and the README's Configuration table list
// every variable loadConfig reads and no other, and each documented default configures what leaving it unset does.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { configurationReference } from '../../infrastructure/config-reference.js';
import { configurationKeys, loadConfig } from '../../infrastructure/config.js';
import { configurationTableOf, renderConfigurationTable, renderEnvExample } from '../../scripts/generate-env-example.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const envExample = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');

/** The variables a README table names in its first column. */
const tableVariables = (lines: readonly string[]): string[] => lines.slice(2).map((line) => /^\| `([A-Z0-9_]+)` \|/.exec(line)?.[1] ?? `unreadable row: ${line}`);

/** KEY=value lines of a dotenv file. */
const envVariables = (text: string): Map<string, string> =>
  new Map(text.split('\n').filter((line) => /^[A-Z0-9_]+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));

test('given the committed .env.example, when the generator renders it again, then nothing differs', (t) => {
  t.is(envExample, renderEnvExample(), 'regenerate it with npm run env:example');
});

test('given .env.example, then it sets every variable of the schema once and no other', (t) => {
  const lines = envExample.split('\n').filter((line) => /^[A-Z0-9_]+=/.test(line));
  t.deepEqual([...envVariables(envExample).keys()].sort(), [...configurationKeys].sort());
  t.is(lines.length, configurationKeys.length);
});

test('given .env.example as the whole environment, then it configures exactly what an empty environment does', (t) => {
  t.deepEqual(loadConfig(Object.fromEntries(envVariables(envExample))), loadConfig({}));
});

test('given each documented default alone, then it configures what leaving the variable unset does', (t) => {
  const unset = loadConfig({});
  for (const [key, entry] of Object.entries(configurationReference)) {
    if (entry.default === '') continue;
    t.deepEqual(loadConfig({ [key]: entry.default }), unset, `${key}=${entry.default} is not its default`);
  }
});

test('given the README, when its Configuration table is read, then it names every variable of the schema and no other', (t) => {
  const variables = tableVariables(configurationTableOf(readme).lines);
  t.deepEqual([...variables].sort(), [...configurationKeys].sort());
  t.is(new Set(variables).size, variables.length, 'a variable has two rows');
});

test('given the README, then its Configuration table is the one the reference renders (defaults and meanings included)', (t) => {
  t.is(configurationTableOf(readme).lines.join('\n'), renderConfigurationTable(), 'regenerate it with npm run env:example -- --readme');
});

test('given a README table with a variable missing and one the schema does not know, then the comparison names both', (t) => {
  const [header, rule, ...rows] = renderConfigurationTable().split('\n');
  const broken = [header!, rule!, ...rows.filter((row) => !row.startsWith('| `PORT` |')), '| `CHORUS_NO_SUCH_VARIABLE` | — | made up |'];
  const variables = new Set(tableVariables(broken));
  t.deepEqual(configurationKeys.filter((key) => !variables.has(key)), ['PORT']);
  t.deepEqual([...variables].filter((name) => !(configurationKeys as readonly string[]).includes(name)), ['CHORUS_NO_SUCH_VARIABLE']);
});

test('given a wrong default, then loading it configures something else than leaving it unset', (t) => {
  t.notDeepEqual(loadConfig({ KAFKA_TOPIC_PARTITIONS: '12' }), loadConfig({}));
  t.notDeepEqual(loadConfig({ CHORUS_AUTOHEAL_TARGETS: 'api' }), loadConfig({}));
});
