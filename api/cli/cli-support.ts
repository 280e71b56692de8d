// What every `chorus` subcommand shares: opening the system or its database for one piece of work, who acts from a
// shell, and the error that means "used wrongly" (one line, exit code 2).
import { hostname, userInfo } from 'node:os';
import type { Kysely } from 'kysely';
import { AuditTrail } from '../../application/identity/audit-trail.js';
import type { AuditType } from '../../domain/identity/audit-events.js';
import { ALL_ROLES, openDatabase, openSystem, type System } from '../../infrastructure/composition-root.js';
import { describeDatabase, loadConfig, type Config } from '../../infrastructure/config.js';
import { createLogger } from '../../infrastructure/logging.js';
import type { Schema } from '../../projections/schema.js';
import { apiMigrations, contexts } from '../contexts.js';

export class UsageError extends Error {}

/** What `chorus run` takes: one role, or `all` of them. */
export const RUN_TARGETS: readonly string[] = [...ALL_ROLES, 'all'];
/** What `chorus migrate` takes. */
export const MIGRATE_DIRECTIONS: readonly string[] = ['up', 'down', 'status'];

/** Opens the whole system without starting its workers, names its database on stderr, runs `work`, closes. */
export async function withSystem(work: (system: System) => Promise<void>): Promise<void> {
  const config = loadConfig();
  const system = await openSystem(config, createLogger('warn'), { roles: [], modules: contexts, migrations: apiMigrations });
  console.error(`Database: ${describeDatabase(config)}`);
  try {
    await work(system);
  } finally {
    await system.close();
  }
}

export async function withDatabase(config: Config, work: (db: Kysely<Schema>) => Promise<void>): Promise<void> {
  const database = await openDatabase(config, createLogger('warn'));
  console.error(`Database: ${describeDatabase(config)}`);
  try {
    await work(database.db);
  } finally {
    await database.close();
  }
}

/** Who acts from a shell: its user, as the audit trail and event metadata name them. */
export function cliActor(): { sub: string } {
  try {
    return { sub: `cli:${userInfo().username}` };
  } catch {
    return { sub: 'cli:unknown' }; // a container user without a passwd entry
  }
}

/** The audit trail hears of what operators do from a shell too. */
export async function auditFromCli(system: System, type: AuditType, subject: string, reason: string, command: string): Promise<void> {
  const trail = new AuditTrail(system.store, system.ids, system.clock, system.upcasting, { flushMs: 50, allowancePerMinute: 1, maxPending: 10 });
  const entry = trail.record({ type, actor: cliActor(), method: 'CLI', route: command, ip: hostname(), correlationId: system.ids.next(), reason, subject });
  await trail.close();
  await entry;
}
