// The `chorus` command.
import { Command } from 'commander';
import type { Kysely } from 'kysely';
import { ConfigError, describeDatabase, loadConfig, type Config } from '../../infrastructure/config.js';
import { openDatabase, openSystem } from '../../infrastructure/composition-root.js';
import { DataDirInUse } from '../../infrastructure/db/data-dir-lock.js';
import { createMigrator, migrate } from '../../infrastructure/db/migrations.js';
import type { Schema } from '../../infrastructure/db/schema.js';
import { createLogger } from '../../infrastructure/logging.js';
import { projectionStatus } from '../../projections/projection-status.js';
import { startAll, stopOnSignals } from '../main.js';

const program = new Command('chorus').description('Chorus: event-sourced CQRS backend').showHelpAfterError();

program
  .command('start')
  .description('run everything in one process (embedded PGlite unless DATABASE_URL is set)')
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    stopOnSignals(await startAll(config, logger), logger, config.shutdownTimeoutMs);
  });

program
  .command('migrate')
  .description('apply (up), undo the last (down) or list (status) database migrations')
  .argument('<direction>', 'up | down | status')
  .action(async (direction: string) => {
    if (!['up', 'down', 'status'].includes(direction)) throw new UsageError(`Unknown migrate command "${direction}": use up, down or status`);
    const config = loadConfig();
    await withDatabase(config, async (db) => {
      if (direction === 'status') {
        for (const m of await createMigrator(db).getMigrations()) {
          console.log(`${m.executedAt ? 'applied' : 'pending'}  ${m.name}${m.executedAt ? `  ${m.executedAt.toISOString()}` : ''}`);
        }
        return;
      }
      const results = await migrate(db, direction as 'up' | 'down');
      if (results.length === 0) console.log(direction === 'up' ? 'Already up to date' : 'Nothing to undo');
      for (const r of results) console.log(`${r.direction === 'Up' ? 'applied' : 'undone'}  ${r.migrationName}`);
    });
  });

program
  .command('projections')
  .description('projection tools')
  .command('status')
  .description('checkpoint, lag and last error of every projection')
  .action(async () => {
    const config = loadConfig();
    const system = await openSystem(config, createLogger('warn'));
    try {
      for (const projection of system.projections) {
        const s = await projectionStatus(system.database.db, system.store, projection);
        const lag = `${s.lag}${s.lagCapped ? '+' : ''}`;
        console.log(`${s.name} v${s.version}  checkpoint ${s.checkpoint ?? '-'}  head ${s.head ?? '-'}  lag ${lag}  last error ${s.lastError ?? '-'}`);
      }
    } finally {
      await system.close();
    }
  });

class UsageError extends Error {}

async function withDatabase(config: Config, work: (db: Kysely<Schema>) => Promise<void>): Promise<void> {
  const database = await openDatabase(config, createLogger('warn'));
  console.error(`Database: ${describeDatabase(config)}`);
  try {
    await work(database.db);
  } finally {
    await database.close();
  }
}

program.parseAsync().catch((error: unknown) => {
  // Expected failures get one clear line; anything else its stack, to stderr only.
  const expected = error instanceof ConfigError || error instanceof DataDirInUse || error instanceof UsageError;
  console.error(expected ? (error as Error).message : error);
  process.exit(expected ? 2 : 1);
});
