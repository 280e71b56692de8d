// News of appends for subscriptions to wake on: at once within this process, and to other processes through one
// NOTIFY per burst of commits, sent after they committed. Appends do not notify inside their transaction, where
// the cluster-wide notify lock would be held through the WAL flush and serialise every appending commit.
// Nothing depends on the news for correctness: subscriptions also poll, so news merged or lost only adds latency.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { SqlDatabase } from '../../db/database.js';

const CHANNEL = 'chorus_events';

export class CommitAnnouncer {
  /** Signs this announcer's NOTIFYs, so that the subscriptions it has woken already pass over them. */
  private readonly id = randomUUID();
  private readonly local = new Set<() => void>();
  private sending = false;
  private again = false;

  constructor(private readonly database: SqlDatabase) {}

  /** Called once an append has committed. */
  announce(): void {
    for (const wake of this.local) wake();
    // PGlite is open in one process only: every subscription to it was woken above.
    if (this.database.kind === 'pglite') return;
    if (this.sending) {
      this.again = true; // one more NOTIFY once the one in flight is done covers every commit meanwhile
      return;
    }
    void this.send();
  }

  /** Calls `wake` after appends through any store on this database, in this process or another. */
  async listen(wake: () => void): Promise<() => Promise<void>> {
    this.local.add(wake);
    if (this.database.kind === 'pglite') return async () => void this.local.delete(wake);
    try {
      const stop = await this.database.listen(CHANNEL, (payload) => {
        if (payload !== this.id) wake();
      });
      return async () => {
        this.local.delete(wake);
        await stop();
      };
    } catch (error) {
      this.local.delete(wake);
      throw error;
    }
  }

  private async send(): Promise<void> {
    this.sending = true;
    try {
      do {
        this.again = false;
        // A failure only delays other processes until their next poll.
        await sql`select pg_notify(${CHANNEL}, ${this.id})`.execute(this.database.db).catch(() => undefined);
      } while (this.again);
    } finally {
      this.sending = false;
    }
  }
}

const announcers = new WeakMap<SqlDatabase, CommitAnnouncer>();

/** One announcer per database, shared by every store on it in this process. */
export function commitAnnouncerOf(database: SqlDatabase): CommitAnnouncer {
  let announcer = announcers.get(database);
  if (announcer === undefined) announcers.set(database, (announcer = new CommitAnnouncer(database)));
  return announcer;
}
