// News of appends for subscriptions to wake on: at once within this process, and to other processes through one
// NOTIFY per category per burst of commits, sent after they committed. Appends do not notify inside their
// transaction, where the cluster-wide notify lock would be held through the WAL flush and serialise every
// appending commit. The news names the stream category appended to, so a subscription to other categories sleeps
// on: an idle read model costs nothing per write elsewhere.
// Nothing depends on the news for correctness: subscriptions also poll, so news merged or lost only adds latency.
import type { SqlDatabase } from '../../db/database.js';
import { Notifier } from '../../db/notifier.js';

/** The categories a listener cares for; null: every one. */
type Interest = ReadonlySet<string> | null;

const concerns = (interest: Interest, category: string | undefined): boolean =>
  interest === null || category === undefined || category === '' || interest.has(category);

export class CommitAnnouncer {
  private readonly local = new Map<() => void, Interest>();
  /** Null on PGlite: it is open in one process only, so every subscription to it is woken here. */
  private readonly others: Notifier | null;

  constructor(database: SqlDatabase) {
    this.others = database.kind === 'pglite' ? null : new Notifier(database, 'chorus_events');
  }

  /** Called once an append to a stream of `category` has committed. */
  announce(category: string): void {
    for (const [wake, interest] of this.local) if (concerns(interest, category)) wake();
    this.others?.notify(category);
  }

  /**
   * Calls `wake` after appends to these categories (every category when undefined) through any store on this
   * database, in this process or another; also after news that names no category (a lost connection come back).
   */
  async listen(categories: readonly string[] | undefined, wake: () => void): Promise<() => Promise<void>> {
    const interest: Interest = categories === undefined ? null : new Set(categories);
    this.local.set(wake, interest);
    if (this.others === null) return async () => void this.local.delete(wake);
    try {
      const stop = await this.others.listen((category) => {
        if (concerns(interest, category)) wake();
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
}

const announcers = new WeakMap<SqlDatabase, CommitAnnouncer>();

/** One announcer per database, shared by every store on it in this process. */
export function commitAnnouncerOf(database: SqlDatabase): CommitAnnouncer {
  let announcer = announcers.get(database);
  if (announcer === undefined) announcers.set(database, (announcer = new CommitAnnouncer(database)));
  return announcer;
}
