// The lock that lets one rebuild, rollback or drop of a projection run at a time across every process: a session
// advisory lock on PostgreSQL, held on a connection of its own for as long as the work runs (it goes when the
// session does, so a crashed holder never leaves it behind), and a set in memory on PGlite, which one process owns.
import { sql } from 'kysely';
import type { ProjectionLock } from '../../projections/rebuild/projection-rebuilds.js';
import type { SqlDatabase } from './database.js';

/** The first key of Chorus's projection locks ('CHRB'), the second being the hash of the projection's name. */
const LOCK_CLASS = 0x43485242;

export function projectionLockOf(database: SqlDatabase): ProjectionLock {
  if (database.kind === 'pglite') {
    const held = new Set<string>();
    return async (projection, work) => {
      if (held.has(projection)) return { held: false };
      held.add(projection);
      try {
        return { held: true, value: await work() };
      } finally {
        held.delete(projection);
      }
    };
  }
  return (projection, work) =>
    database.db.connection().execute(async (session) => {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${LOCK_CLASS}, hashtext(${projection})) as locked`.execute(session);
      if (!rows[0]!.locked) return { held: false as const };
      try {
        return { held: true as const, value: await work() };
      } finally {
        await sql`select pg_advisory_unlock(${LOCK_CLASS}, hashtext(${projection}))`.execute(session).catch(() => undefined);
      }
    });
}
