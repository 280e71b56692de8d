// Snapshots of long streams, in a table beside the event store (in the read models' database with EventStoreDB).
import { sql, type Kysely, type Migration } from 'kysely';
import type { Snapshot, SnapshotStore } from '../../application/ports/snapshot-store.js';
import type { Int8, Json, Schema } from '../../projections/schema.js';

export interface SnapshotsTable {
  stream_id: string;
  revision: Int8;
  position: string;
  schema: number;
  state: Json;
  taken_at: Date;
}

declare module '../../projections/schema.js' {
  interface Schema {
    snapshots: SnapshotsTable;
  }
}

const snapshots: Migration = {
  async up(db) {
    await db.schema
      .createTable('snapshots')
      .addColumn('stream_id', 'text', (c) => c.primaryKey())
      .addColumn('revision', 'bigint', (c) => c.notNull())
      .addColumn('position', 'text', (c) => c.notNull())
      .addColumn('schema', 'integer', (c) => c.notNull())
      .addColumn('state', 'jsonb', (c) => c.notNull())
      .addColumn('taken_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('snapshots').execute();
  },
};

export const snapshotMigrations: Readonly<Record<string, Migration>> = { '0013_snapshots': snapshots };

export type SnapshotCounts = Readonly<{ onLoad?: (found: boolean) => void; onSave?: () => void }>;

export class PostgresSnapshotStore implements SnapshotStore {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly counts: SnapshotCounts = {},
  ) {}

  async load(streamId: string): Promise<Snapshot | null> {
    const row = await this.db.selectFrom('snapshots').select(['revision', 'position', 'schema', 'state']).where('stream_id', '=', streamId).executeTakeFirst();
    this.counts.onLoad?.(row !== undefined);
    return row === undefined ? null : { streamId, revision: Number(row.revision), position: row.position, schema: row.schema, state: row.state };
  }

  async save(snapshot: Snapshot): Promise<void> {
    await this.db
      .insertInto('snapshots')
      .values({ stream_id: snapshot.streamId, revision: snapshot.revision, position: snapshot.position, schema: snapshot.schema, state: JSON.stringify(snapshot.state), taken_at: new Date() })
      .onConflict((oc) =>
        oc
          .column('stream_id')
          .doUpdateSet((eb) => ({ revision: eb.ref('excluded.revision'), position: eb.ref('excluded.position'), schema: eb.ref('excluded.schema'), state: eb.ref('excluded.state'), taken_at: eb.ref('excluded.taken_at') }))
          // Two writers race: the newer snapshot stays.
          .where('snapshots.revision', '<', (eb) => eb.ref('excluded.revision')),
      )
      .execute();
    this.counts.onSave?.();
  }
}
