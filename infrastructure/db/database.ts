// One SQL database behind Kysely, either a PostgreSQL server (pg pool) or embedded PGlite, plus
// LISTEN/NOTIFY, which each driver does its own way. Everything above this file is driver-agnostic.
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Schema } from './schema.js';

export type SqlDatabase = Readonly<{
  kind: 'postgres' | 'pglite';
  db: Kysely<Schema>;
  /** Calls `onNotify` on every NOTIFY on `channel` (and after a reconnect, when some may have been missed). */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}>;

/** Embedded PostgreSQL; `dataDir` undefined keeps it in memory. */
export async function openPglite(dataDir: string | undefined): Promise<SqlDatabase> {
  const pglite = await PGlite.create(dataDir === undefined ? {} : { dataDir });
  // The dialect serialises all access to PGlite's single connection, so transactions never interleave.
  const db = new Kysely<Schema>({ dialect: new PGliteDialect(pglite) });
  return {
    kind: 'pglite',
    db,
    // LISTEN goes through Kysely's connection lock so it cannot land inside another caller's transaction.
    listen: (channel, onNotify) => db.connection().execute(() => pglite.listen(channel, onNotify)),
    close: () => db.destroy(),
  };
}

export type PostgresOptions = Readonly<{ poolMax: number; onListenError?: (error: Error) => void }>;

export function openPostgres(url: string, options: PostgresOptions): SqlDatabase {
  const pool = new pg.Pool({ connectionString: url, max: options.poolMax });
  // An idle client that loses its server emits 'error' on the pool; without a listener it would crash the process.
  pool.on('error', (error) => options.onListenError?.(error));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
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

/** One dedicated connection for LISTEN, reconnecting with backoff; subscribers also poll, so a gap only adds latency. */
class PostgresNotifications {
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private readonly handlers = new Map<string, Set<() => void>>();

  constructor(
    private readonly url: string,
    private readonly onError: ((error: Error) => void) | undefined,
  ) {}

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    let handlers = this.handlers.get(channel);
    if (handlers === undefined) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
      if (this.client !== null) await this.client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    handlers.add(onNotify);
    await this.ensureConnected();
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
    client.on('notification', (message) => this.notify(message.channel));
    client.on('error', (error) => {
      this.onError?.(error);
      if (this.client === client) this.client = null;
      void client.end().catch(() => undefined);
      if (!this.closed) setTimeout(() => void this.reconnect(), 1000).unref();
    });
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
  }

  private async reconnect(): Promise<void> {
    try {
      await this.ensureConnected();
      for (const channel of this.handlers.keys()) this.notify(channel);
    } catch (error) {
      this.onError?.(error as Error);
      if (!this.closed) setTimeout(() => void this.reconnect(), 2000).unref();
    }
  }

  private notify(channel: string): void {
    for (const handler of this.handlers.get(channel) ?? []) handler();
  }
}
