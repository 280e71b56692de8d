// A projection whose version in code is above its live build's was changed to write other rows: its read model is
// rebuilt when a projector starts (CHORUS_REBUILD_ON_VERSION_CHANGE=auto), or an operator is told to (manual).
// The live build keeps serving, and keeps being updated by the new code, until the rebuild swaps in.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../schema.js';
import { RebuildRunning, type ProjectionRebuilds } from './projection-rebuilds.js';

export async function rebuildOutdatedProjections(
  rebuilds: ProjectionRebuilds,
  db: Kysely<Schema>,
  names: readonly string[],
  mode: 'auto' | 'manual',
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  const live = new Map((await db.selectFrom('projections').select(['name', 'version']).execute()).map((row) => [row.name, row.version]));
  for (const name of names) {
    const projection = rebuilds.projection(name);
    const version = live.get(name);
    if (version === undefined || version >= projection.version || signal.aborted) continue;
    if (mode === 'manual') {
      logger.warn({ projection: name, live: version, code: projection.version }, `projection ${name} is at version ${version}, its code at ${projection.version}: run chorus rebuild ${name}`);
      continue;
    }
    logger.info({ projection: name, live: version, code: projection.version }, `projection ${name} changed version: rebuilding it`);
    try {
      await rebuilds.run(name, signal);
    } catch (error) {
      if (error instanceof RebuildRunning) logger.info({ projection: name }, error.message);
      else logger.error({ projection: name, err: error }, 'rebuild on version change failed; the live build goes on serving');
    }
  }
}
