// The replica mirrors every database of its primary, so a test's fresh database appears there shortly.
import pg from 'pg';

/** The same database on the replica server, once it has replayed its creation. */
export async function replicaOf(databaseUrl: string, replicaServerUrl: string): Promise<string> {
  const url = new URL(replicaServerUrl);
  url.pathname = new URL(databaseUrl).pathname;
  for (let attempt = 0; attempt < 300; attempt++) {
    const client = new pg.Client({ connectionString: url.toString() });
    try {
      await client.connect();
      // The schema arrives with the migrations: wait for the last table.
      const { rows } = await client.query("select to_regclass('public.dead_letters') is not null as ready");
      if (rows[0]?.ready === true) return url.toString();
    } catch {
      // not there yet
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the test database never appeared on the replica');
}
