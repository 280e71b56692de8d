// The `chorus` command.
import { Command } from 'commander';
import { auditFromCli, cliActor, MIGRATE_DIRECTIONS, RUN_TARGETS, UsageError, withDatabase, withSystem } from './cli-support.js';
import { rebuildCommands } from './rebuild-command.js';
import { replayCommand } from './replay-command.js';
import { supervise } from './supervise-command.js';
import { ConfigError, loadConfig } from '../../infrastructure/config.js';
import { auditedAttempt } from '../../application/identity/audit-trail.js';
import { DataDirInUse } from '../../infrastructure/db/data-dir-lock.js';
import { createMigrator, migrate } from '../../infrastructure/db/migrations.js';
import { createLogger } from '../../infrastructure/logging.js';
import { projectionStatus } from '../../projections/projection-status.js';
import { ChorusError } from '../../domain/kernel/errors.js';
import { ALL_ROLES } from '../../infrastructure/composition-root.js';
import { deadLetterSubject, describeDiscarded, discardDeadLetter, listDeadLetters, retryDeadLetter } from '../../projections/dead-letters.js';
import { apiMigrations, contexts } from '../contexts.js';
import { startAll, startRoles, stopOnSignals } from '../main.js';
import { z } from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, registerUser } from '../../application/identity/users.js';
import { isRole, ROLES, type Role } from '../../domain/identity/roles.js';
import { DISPLAY_NAME_MAX_LENGTH } from '../../domain/identity/user-events.js';
import { systemClock, uuidV7Ids } from '../../infrastructure/clock-and-ids.js';
import { IN_MEMORY, parseDuration } from '../../infrastructure/config.js';
import { CredentialsTable } from '../../infrastructure/identity/credentials-table.js';
import { accessTokensOf } from '../../infrastructure/identity/identity-services.js';
import { ScryptPasswordHasher } from '../../infrastructure/identity/scrypt-password-hasher.js';

const program = new Command('chorus').description('Chorus: event-sourced CQRS backend').showHelpAfterError();

program
  .command('start')
  .description('run every role in one process (embedded PGlite unless DATABASE_URL is set)')
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    stopOnSignals(await startAll(config, logger), logger, config.shutdownTimeoutMs);
  });

program
  .command('run')
  .description('run one role against real services, configured by environment (all: every role)')
  .argument('<role>', RUN_TARGETS.join(' | '))
  .option('--only <names>', 'projector: only these projections (comma-separated)')
  .action(async (role: string, options: { only?: string }) => {
    const roles = role === 'all' ? ALL_ROLES : ALL_ROLES.filter((candidate) => candidate === role);
    if (roles.length === 0) throw new UsageError(`Unknown role "${role}": use api, relay, projector, enricher or all`);
    if (options.only !== undefined && role !== 'projector') throw new UsageError('--only goes with the projector role');
    const only = options.only?.split(',').map((name) => name.trim()).filter((name) => name !== '');
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    stopOnSignals(await startRoles(config, logger, { roles, ...(only === undefined ? {} : { only }) }), logger, config.shutdownTimeoutMs);
  });

program
  .command('supervise')
  .description('run api (on PORT), relay (with KAFKA_BROKERS), projector and enricher as child processes, restarting those that die or fail /health/ready')
  .action(async () => {
    const config = loadConfig();
    await supervise(config, createLogger(config.logLevel));
    // Every child has stopped; the supervisor's own handles are closed.
    process.exit(0);
  });

program
  .command('migrate')
  .description('apply (up), undo the last (down) or list (status) database migrations')
  .argument('<direction>', MIGRATE_DIRECTIONS.join(' | '))
  .action(async (direction: string) => {
    if (!MIGRATE_DIRECTIONS.includes(direction)) throw new UsageError(`Unknown migrate command "${direction}": use up, down or status`);
    const config = loadConfig();
    await withDatabase(config, async (db) => {
      if (direction === 'status') {
        for (const m of await createMigrator(db, allMigrations).getMigrations()) {
          console.log(`${m.executedAt ? 'applied' : 'pending'}  ${m.name}${m.executedAt ? `  ${m.executedAt.toISOString()}` : ''}`);
        }
        return;
      }
      const results = await migrate(db, direction as 'up' | 'down', allMigrations);
      if (results.length === 0) console.log(direction === 'up' ? 'Already up to date' : 'Nothing to undo');
      for (const r of results) console.log(`${r.direction === 'Up' ? 'applied' : 'undone'}  ${r.migrationName}`);
    });
  });

program
  .command('projections')
  .description('projection tools')
  .command('status')
  .description('checkpoint, lag and last error of every projection')
  .action(() =>
    withSystem(async (system) => {
      for (const projection of system.projections) {
        const s = await projectionStatus(system.database.db, system.store, projection, { lagOf: system.lagOf, applied: system.appliedPosition });
        const lag = `${s.lag}${s.lagCapped ? '+' : ''}`;
        const version = s.version === s.codeVersion ? `v${s.version}` : `v${s.version} (code v${s.codeVersion}: rebuild it)`;
        const rebuild = s.rebuild?.status === 'building' ? `  rebuilding ${s.rebuild.processed} event(s) at ${s.rebuild.position ?? '-'}` : '';
        console.log(`${s.name} ${version} build ${s.generation}${rebuild}  checkpoint ${s.checkpoint ?? '-'}  head ${s.head ?? '-'}  lag ${lag}  last error ${s.lastError ?? '-'}`);
      }
    }),
  );

replayCommand(program);
rebuildCommands(program);

const dlq = program.command('dlq').description('dead letters: events a projection or an enricher kept failing on');

dlq
  .command('list')
  .description('list dead letters, oldest first')
  .option('--consumer <name>', 'only this consumer (projection.feedback, enricher.feedback-triage, ...)')
  .option('--status <status>', 'open | resolved | discarded', 'open')
  .option('--limit <n>', 'at most this many', '50')
  .action(async (options: { consumer?: string; status: string; limit: string }) => {
    const status = DeadLetterStatusSchema.safeParse(options.status);
    const limit = Number(options.limit);
    if (!status.success) throw new UsageError('--status is open, resolved or discarded');
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit is a whole number from 1 to 10000');
    await withDatabase(loadConfig(), async (db) => {
      const { items } = await listDeadLetters(db, { status: status.data, limit, ...(options.consumer ? { consumer: options.consumer } : {}) });
      if (items.length === 0) console.log('No dead letters');
      for (const l of items) {
        console.log(`#${l.id}  ${l.status}  ${l.consumer}  ${l.streamId}@${l.revision} ${l.type}  attempts ${l.attempts}  ${l.lastFailedAt}\n    ${l.error}`);
      }
    });
  });

dlq
  .command('retry')
  .description("redeliver a dead letter (its stream's first open one) and those parked behind it to its projection or enricher")
  .argument('<id>')
  .action((id: string) =>
    // An enricher's letter needs the event store and the AI providers, not only the database.
    withSystem(async (system) => {
      const onFailure = (error: unknown, letter: { id: string; consumer: string }) => system.logger.error({ err: error, letter: letter.id, consumer: letter.consumer }, 'dead letter failed again');
      const resolved = await auditedAttempt(
        () => retryDeadLetter(system.database.db, system.deadLetterConsumers, id, onFailure),
        (letters) => `resolved ${letters.length} letter(s)`,
        (reason) => auditFromCli(system, 'deadletter.retried', deadLetterSubject(id), reason, 'chorus dlq retry'),
      );
      for (const l of resolved) console.log(`resolved #${l.id}  ${l.consumer}  ${l.streamId}@${l.revision} ${l.type}`);
    }),
  );

dlq
  .command('discard')
  .description('give up on a dead letter')
  .argument('<id>')
  .action((id: string) =>
    withSystem(async (system) => {
      const l = await auditedAttempt(
        () => discardDeadLetter(system.database.db, id),
        describeDiscarded,
        (reason) => auditFromCli(system, 'deadletter.discarded', deadLetterSubject(id), reason, 'chorus dlq discard'),
      );
      console.log(`discarded #${l.id}  ${l.streamId}@${l.revision} ${l.type}`);
    }),
  );



const users = program.command('users').description('user accounts');

users
  .command('create')
  .description('register a user with the given roles (for the first admin: no HTTP call, no open signup needed)')
  .requiredOption('--email <email>', 'their email')
  .option('--name <name>', 'display name (default: the part of the email before @)')
  .option('--role <role...>', `roles: ${ROLES.join(', ')}`, ['member'])
  .option('--password-stdin', 'read the password from standard input (required: a password never goes on a command line)')
  .action(async (options: { email: string; name?: string; role: string[]; passwordStdin?: boolean }) => {
    if (options.passwordStdin !== true) throw new UsageError('Pass the password on standard input with --password-stdin, e.g. `echo "$PASSWORD" | chorus users create ...`');
    const roles = rolesOf(options.role);
    const password = (await readStdin()).replace(/\r?\n$/, '');
    if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
      throw new UsageError(`The password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
    }
    const displayName = (options.name ?? options.email.split('@')[0] ?? '').trim().slice(0, DISPLAY_NAME_MAX_LENGTH) || 'user';
    await withSystem(async (system) => {
      const deps = { store: system.store, ids: system.ids, clock: system.clock, upcasting: system.upcasting, hasher: new ScryptPasswordHasher(), credentials: new CredentialsTable(system.database.db) };
      const context = { correlationId: system.ids.next(), causationId: null, actor: cliActor() };
      const user = await registerUser(deps, { email: options.email, password, displayName, roles }, context);
      console.log(`created user ${user.id}  ${options.email}  roles ${roles.join(', ')}`);
    });
  });

program
  .command('token')
  .description('print a development access token signed with this instance\'s key (embedded profile, or CHORUS_ALLOW_DEV_TOKENS=1)')
  .requiredOption('--sub <subject>', 'who the token names (a user id, or any name for development)')
  .option('--role <role...>', `roles: ${ROLES.join(', ')}`, [])
  .option('--ttl <duration>', 'lifetime: 900, 15m, 1h, 7d at most', '1h')
  .action(async (options: { sub: string; role: string[]; ttl: string }) => {
    const config = loadConfig();
    if (config.databaseUrl !== undefined && !config.allowDevTokens) {
      throw new UsageError('chorus token signs development tokens only for the embedded profile; set CHORUS_ALLOW_DEV_TOKENS=1 to allow it here');
    }
    const ttl = parseDuration(options.ttl);
    if (ttl === null || ttl < 1 || ttl > 7 * 86_400) throw new UsageError('--ttl is a duration from 1 s to 7d, such as 900, 15m, 1h or 7d');
    if (options.sub.trim() === '' || options.sub.length > 200) throw new UsageError('--sub is 1 to 200 characters');
    if (config.databaseUrl === undefined && config.dataDir === IN_MEMORY) throw new UsageError('With CHORUS_DATA_DIR=memory:// there is no kept key: no server could verify the token');
    const tokens = await accessTokensOf(config, uuidV7Ids, systemClock);
    const { token } = await tokens.issue({ sub: options.sub, roles: rolesOf(options.role) }, ttl);
    console.log(token);
  });

function rolesOf(names: readonly string[]): Role[] {
  const roles = names.flatMap((name) => name.split(',')).map((name) => name.trim()).filter((name) => name !== '');
  const unknown = roles.filter((role) => !isRole(role));
  if (unknown.length > 0) throw new UsageError(`Unknown role(s) ${unknown.join(', ')}: use ${ROLES.join(', ')}`);
  return roles as Role[];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** What `chorus migrate` runs besides the core: every context's tables and the HTTP layer's. */
const allMigrations = [...contexts.map((context) => context.migrations), ...apiMigrations];

const DeadLetterStatusSchema = z.enum(['open', 'resolved', 'discarded']);




program.parseAsync().catch((error: unknown) => {
  // Expected failures get one clear line; anything else its stack, to stderr only.
  const expected = error instanceof ConfigError || error instanceof DataDirInUse || error instanceof UsageError || error instanceof ChorusError;
  console.error(expected ? (error as Error).message : error);
  process.exit(expected ? 2 : 1);
});
