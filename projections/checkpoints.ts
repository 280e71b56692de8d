// Named checkpoints of consumers that have no projection row: the relay, and enrichers reading the store.
import type { Kysely } from 'kysely';
import type { Position } from '../application/ports/event-store.js';
import type { Schema } from './schema.js';

export async function readCheckpoint(db: Kysely<Schema>, name: string): Promise<Position | null> {
  const row = await db.selectFrom('checkpoints').select('position').where('name', '=', name).executeTakeFirst();
  return row?.position ?? null;
}

export async function writeCheckpoint(db: Kysely<Schema>, name: string, position: Position): Promise<void> {
  await db
    .insertInto('checkpoints')
    .values({ name, position })
    .onConflict((oc) => oc.column('name').doUpdateSet({ position, updated_at: new Date() }))
    .execute();
}
