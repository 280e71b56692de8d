// Lint: typescript-eslint's recommended rules plus the layer boundaries of ARCHITECTURE.md.
import js from '@eslint/js';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const infrastructurePackages = ['pg', 'kysely', 'kysely-*', 'kafkajs', 'ioredis', 'koa', '@koa/*', 'tsyringe', '@electric-sql/*', 'pino', '@eventstore/*', '@google/*'];
const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.chorus/**', 'bin/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The ops console's page script: plain browser JavaScript, no types, no modules.
    files: ['api/console/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      parserOptions: { projectService: false, program: null },
      globals: { window: 'readonly', document: 'readonly', sessionStorage: 'readonly', fetch: 'readonly', URLSearchParams: 'readonly', Node: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['domain/**/*.ts'],
    rules: restrict(
      [...infrastructurePackages, 'node:*', ...builtinModules, '**/application/**', '**/infrastructure/**', '**/projections/**', '**/api/**'],
      'domain/ is pure: it imports only domain/ (no I/O libraries, no node: modules).',
    ),
  },
  {
    files: ['application/**/*.ts'],
    rules: restrict(
      [...infrastructurePackages, '**/infrastructure/**', '**/projections/**', '**/api/**'],
      'application/ imports only domain/ and application/; adapters live in infrastructure/.',
    ),
  },
  {
    files: ['projections/**/*.ts'],
    rules: restrict(
      ['**/infrastructure/**', '**/api/**'],
      'projections/ imports domain/, application/ and Kysely; adapters live in infrastructure/, entry points in api/.',
    ),
  },
  {
    files: ['infrastructure/**/*.ts'],
    rules: restrict(['**/api/**'], 'Only api/ and tests/ may import api/.'),
  },
);
