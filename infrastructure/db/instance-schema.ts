// The instance table: one row naming this database, and its migration.
import { sql, type Generated, type Migration } from 'kysely';

export interface InstanceTable {
  id: Generated<string>;
  created_at: Generated<Date>;
}

declare module '../../projections/schema.js' {
  interface Schema {
    instance: InstanceTable;
  }
}

const instanceIdentity: Migration = {
  async up(db) {
    // Names this database (and its replicas, which copy it) wherever shared infrastructure needs to tell
    // databases apart, such as cache keys in a Redis that several deployments use.
    await db.schema
      .createTable('instance')
      .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await sql`insert into instance default values`.execute(db);
  },
  async down(db) {
    await db.schema.dropTable('instance').execute();
  },
};

export const instanceMigrations: Readonly<Record<string, Migration>> = { '0006_instance_identity': instanceIdentity };
