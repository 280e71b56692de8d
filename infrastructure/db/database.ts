// One SQL database behind Kysely, either a PostgreSQL server (pg pool) or embedded PGlite, plus
// LISTEN/NOTIFY, which each driver does its own way. Everything above this file is driver-agnostic.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Schema } from '../../projections/schema.js';
import { PgliteDialect } from './pglite-dialect.js';
import { preparingPool } from './prepared-statements.js';

export type SqlDatabase = Readonly<{
  kind: 'postgres' | 'pglite';
  db: Kysely<Schema>;
  /**
   * Calls `onNotify` with the payload on every NOTIFY on `channel`, and with undefined after a reconnect, when
   * some may have been missed.
   */
  listen(channel: string, onNotify: (payload: string | undefined) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}>;

/**
 * PGlite's shared buffers default to 128 MB, most of the embedded profile's memory; an embedded store's working
 * set is far smaller, and a page not in them is a read from the operating system's cache. 16 MB, not 32: with Node's
 * smaller young generation (package.json's start script), the bench's embedded peak RSS fell from 324–337 MB to
 * 286–314 MB, with no change in throughput beyond this machine's noise. Given at start (PGlite's
 * `postgresqlconf` would overwrite the data directory's postgresql.conf on every start instead).
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/** Embedded PostgreSQL; `dataDir` undefined keeps it in memory. */
export async function openPglite(dataDir: string | undefined): Promise<SqlDatabase> {
  if (dataDir !== undefined && !existsSync(path.join(dataDir, 'PG_VERSION'))) await initialiseApart(dataDir);
  // pg_trgm (PostgreSQL's contrib, bundled with PGlite) is loaded so that the drafts retrieval ranks by trigrams here
  // as on a server (migration 0022_drafts_retrieval creates the extension wherever it can).
  const pglite = await PGlite.create({ ...(dataDir === undefined ? {} : { dataDir }), startParams: PGLITE_START_PARAMS, extensions: { pg_trgm } });
  // The dialect serialises all access to PGlite's single connection, so transactions never interleave.
  const db = new Kysely<Schema>({ dialect: new PgliteDialect(pglite) });
  return {
    kind: 'pglite',
    db,
    // LISTEN goes through Kysely's connection lock so it cannot land inside another caller's transaction.
    listen: (channel, onNotify) => db.connection().execute(() => pglite.listen(channel, onNotify)),
    close: async () => {
      // PGlite's shutdown sets process.exitCode to its own status (0), which would hide the exit code a command
      // chose before closing (verify's 1 for a difference, 130 for an interrupted run).
      const { exitCode } = process;
      await db.destroy();
      process.exitCode = exitCode;
    },
  };
}

/**
 * Creates a new data directory in a short-lived child process: initdb takes some 850 MB that PGlite keeps for as
 * long as it runs, so the server process opens the directory made and never carries that peak. It is made beside
 * the data directory and renamed into place, so a crash midway leaves no half-made directory to be opened.
 */
async function initialiseApart(dataDir: string): Promise<void> {
  const staging = `${dataDir}.initialising`;
  await rm(staging, { recursive: true, force: true });
  const script = 'const { PGlite } = await import(process.argv[1]); const db = await PGlite.create({ dataDir: process.argv[2] }); await db.close();';
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, import.meta.resolve('@electric-sql/pglite'), staging]);
  await rename(staging, dataDir); // fails on a non-empty directory that is not a data directory, rather than mixing in
}

export type PostgresOptions = Readonly<{
  poolMax: number;
  /** Send statements with parameters as named, prepared statements (off behind a transaction-mode pooler). */
  preparedStatements?: boolean;
  /** Told once per connection that the server lost (terminated, restarted, failed over, timed out), pooled or LISTEN. */
  onListenError?: (error: Error) => void;
}>;

export function openPostgres(url: string, options: PostgresOptions): SqlDatabase {
  // Keepalive finds a peer that vanished without a word (a failover that drops the network); a bounded wait for
  // a connection turns a full or unreachable pool into an error the caller can retry, not a request that hangs.
  const pool = new pg.Pool({ connectionString: url, max: options.poolMax, keepAlive: true, connectionTimeoutMillis: 10_000 });
  // pg-pool listens for 'error' only on idle clients and takes its listener off a client it hands out, so a
  // server that drops a checked-out client (between two statements of a transaction, or as the socket closes
  // after a failed query) would emit 'error' with no listener and end the process. This listener stays for the
  // client's whole life; the query in hand fails on its own, and the pool discards the client on release
  // because it is no longer queryable. 'connect' fires before the pool's idle listener comes off.
  pool.on('connect', (client) => client.on('error', oncePerClient(options.onListenError)));
  // An idle client's error reaches the pool as well, which must listen; the listener above has reported it.
  pool.on('error', () => undefined);
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: options.preparedStatements === false ? pool : preparingPool(pool) }) });
  const notifications = new PostgresNotifications(url, options.onListenError);
  return {
    kind: 'postgres',
    db,
    listen: (channel, onNotify) => notifications.listen(channel, onNotify),
    close: async () => {
      await notifications.close();
      await db.destroy();
    },
  };
}

/** pg reports one lost connection twice (the server's FATAL message, then the closed socket): report it once. */
function oncePerClient(report: ((error: Error) => void) | undefined): (error: Error) => void {
  let reported = false;
  return (error) => {
    if (reported) return;
    reported = true;
    report?.(error);
  };
}

/** One dedicated connection for LISTEN, reconnecting with backoff; subscribers also poll, so a gap only adds latency. */
class PostgresNotifications {
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private readonly handlers = new Map<string, Set<(payload: string | undefined) => void>>();

  constructor(
    private readonly url: string,
    private readonly onError: ((error: Error) => void) | undefined,
  ) {}

  /** Fails when the server cannot be reached (the caller retries); registers nothing then. */
  async listen(channel: string, onNotify: (payload: string | undefined) => void): Promise<() => Promise<void>> {
    await this.ensureConnected();
    let handlers = this.handlers.get(channel);
    if (handlers === undefined) {
      handlers = new Set();
      // Registered first: if the connection is lost meanwhile, the reconnect LISTENs on it too.
      this.handlers.set(channel, handlers);
      await this.client?.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    handlers.add(onNotify);
    return async () => {
      handlers.delete(onNotify);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private ensureConnected(): Promise<void> {
    if (this.client !== null) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    let lost = false;
    client.on('notification', (message) => this.notify(message.channel, message.payload));
    client.on('error', (error) => {
      if (lost) return; // the second report of the same loss
      lost = true;
      this.onError?.(error);
      void client.end().catch(() => undefined);
      // Lost while connecting, connect() fails and its caller retries; lost later, we reconnect.
      if (this.client !== client) return;
      this.client = null;
      this.reconnectAfter(1000);
    });
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      lost = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed || lost) {
      await client.end().catch(() => undefined);
      if (lost) throw new Error('Connection terminated while setting up LISTEN');
      return;
    }
    this.client = client;
  }

  private reconnectAfter(ms: number): void {
    if (!this.closed) setTimeout(() => void this.reconnect(), ms).unref();
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    try {
      await this.ensureConnected();
      // Whatever was committed while nobody listened: subscribers read again.
      for (const channel of this.handlers.keys()) this.notify(channel, undefined);
    } catch (error) {
      this.onError?.(error as Error);
      this.reconnectAfter(2000);
    }
  }

  private notify(channel: string, payload: string | undefined): void {
    for (const handler of this.handlers.get(channel) ?? []) handler(payload);
  }
}
