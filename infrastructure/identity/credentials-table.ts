// Password hashes in the user_credentials table, beside the events rather than in them (see the Credentials port).
import { sql, type Kysely } from 'kysely';
import type { Credentials } from '../../application/ports/credentials.js';
import { isUuid } from '../../domain/kernel/uuid.js';
import type { Schema } from '../../projections/schema.js';

export class CredentialsTable implements Credentials {
  constructor(private readonly db: Kysely<Schema>) {}

  async save(userId: string, passwordHash: string): Promise<void> {
    await this.db
      .insertInto('user_credentials')
      .values({ user_id: userId, password_hash: passwordHash, updated_at: sql<Date>`now()` })
      .onConflict((oc) => oc.column('user_id').doUpdateSet((eb) => ({ password_hash: eb.ref('excluded.password_hash'), updated_at: eb.ref('excluded.updated_at') })))
      .execute();
  }

  async passwordHashOf(userId: string): Promise<string | null> {
    // Any other string would make PostgreSQL refuse the query (22P02) rather than find nothing.
    if (!isUuid(userId)) return null;
    const row = await this.db.selectFrom('user_credentials').select('password_hash').where('user_id', '=', userId).executeTakeFirst();
    return row?.password_hash ?? null;
  }
}
