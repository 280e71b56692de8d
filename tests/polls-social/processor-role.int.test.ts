// Which process keeps which social projection: read models in the projector role, the notifications processor in
// the enricher role, and all of them in a process that runs every role (the embedded profile).
import test from 'ava';
import { pino } from 'pino';
import { apiMigrations, contexts } from '../../api/contexts.js';
import { openSystem, type Role } from '../../infrastructure/composition-root.js';
import { ConfigError, loadConfig } from '../../infrastructure/config.js';
import { TEST_CONFIG } from '../support/http-specification.js';

const SOCIAL = ['projection.polls-profiles', 'projection.polls-conversations', 'projection.polls-notifications'];

async function socialWorkersOf(roles: readonly Role[]): Promise<string[]> {
  const system = await openSystem(loadConfig({ ...TEST_CONFIG }), pino({ level: 'silent' }), { roles, modules: contexts, migrations: apiMigrations });
  try {
    return Object.keys(system.workers.health()).filter((name) => SOCIAL.includes(name)).sort();
  } finally {
    await system.close();
  }
}

test('the projector role keeps the social read models, not the notifications processor', async (t) => {
  t.deepEqual(await socialWorkersOf(['projector']), ['projection.polls-conversations', 'projection.polls-profiles']);
});

test('the enricher role keeps the notifications processor, not the read models', async (t) => {
  t.deepEqual(await socialWorkersOf(['enricher']), ['projection.polls-notifications']);
});

test('a process of every role keeps them all', async (t) => {
  t.deepEqual(await socialWorkersOf(['api', 'projector', 'enricher']), [...SOCIAL].sort());
});

test('a projector run --only for the notifications processor is refused: no projector keeps it', async (t) => {
  const opened = openSystem(loadConfig({ ...TEST_CONFIG }), pino({ level: 'silent' }), { roles: ['projector'], modules: contexts, migrations: apiMigrations, only: ['polls-notifications'] });
  const error = await t.throwsAsync(opened, { instanceOf: ConfigError });
  t.regex(error.message, /polls-notifications \(enricher role\)/);
});
