// News of appends for subscriptions to wake on: at once within this process, and to other processes through one
// NOTIFY per burst of commits, sent after they committed. Appends do not notify inside their transaction, where
// the cluster-wide notify lock would be held through the WAL flush and serialise every appending commit.
// Nothing depends on the news for correctness: subscriptions also poll, so news merged or lost only adds latency.
import type { SqlDatabase } from '../../db/database.js';
import { Notifier } from '../../db/notifier.js';

export class CommitAnnouncer {
  private readonly local = new Set<() => void>();
  /** Null on PGlite: it is open in one process only, so every subscription to it is woken here. */
  private readonly others: Notifier | null;

  constructor(database: SqlDatabase) {
    this.others = database.kind === 'pglite' ? null : new Notifier(database, 'chorus_events');
  }

  /** Called once an append has committed. */
  announce(): void {
    for (const wake of this.local) wake();
    this.others?.notify('');
  }

  /** Calls `wake` after appends through any store on this database, in this process or another. */
  async listen(wake: () => void): Promise<() => Promise<void>> {
    this.local.add(wake);
    if (this.others === null) return async () => void this.local.delete(wake);
    try {
      const stop = await this.others.listen(wake);
      return async () => {
        this.local.delete(wake);
        await stop();
      };
    } catch (error) {
      this.local.delete(wake);
      throw error;
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
