// The replica mirrors every database of its primary, so a test's fresh database appears there shortly.
import pg from 'pg';
import { retry } from '../../application/kernel/retry.js';

/** The same database on the replica server, once it has replayed its creation. */
export async function replicaOf(databaseUrl: string, replicaServerUrl: string): Promise<string> {
  const url = new URL(replicaServerUrl);
  url.pathname = new URL(databaseUrl).pathname;
  const replica = url.toString();
  const failure = await retry(() => schemaArrived(replica), { maxAttempts: 300, minMs: 50, maxMs: 50 });
  if (failure !== undefined) throw new Error('the test database never appeared on the replica', { cause: failure.error });
  return replica;
}

/** Fails until the database exists on the replica with its schema; the migrations create dead_letters last. */
async function schemaArrived(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query("select to_regclass('public.dead_letters') is not null as ready");
    if (rows[0]?.ready !== true) throw new Error('the schema has not arrived on the replica yet');
  } finally {
    await client.end().catch(() => undefined);
  }
}
