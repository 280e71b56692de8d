// NOTIFY on one channel, sent after the fact and merged: at most one statement is in flight, and the payloads
// announced meanwhile go together in the next one. Each payload is signed with this notifier's id, so that
// listeners in the same process, told already, pass over their own. Notifications are news, never the record:
// whoever listens must also look now and then, since a NOTIFY can be merged, late or lost with a connection.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { SqlDatabase } from './database.js';

export class Notifier {
  private readonly id = randomUUID();
  private readonly pending = new Set<string>();
  private sending = false;

  constructor(
    private readonly database: SqlDatabase,
    private readonly channel: string,
  ) {}

  notify(payload: string): void {
    this.pending.add(payload);
    if (!this.sending) void this.send();
  }

  /**
   * Calls `onPayload` with each payload another notifier sent on the channel, and with undefined after a lost
   * connection came back (some may have been missed meanwhile).
   */
  listen(onPayload: (payload: string | undefined) => void): Promise<() => Promise<void>> {
    const own = `${this.id}:`;
    return this.database.listen(this.channel, (signed) => {
      if (signed === undefined) onPayload(undefined);
      else if (!signed.startsWith(own)) onPayload(signed.slice(signed.indexOf(':') + 1));
    });
  }

  private async send(): Promise<void> {
    this.sending = true;
    try {
      while (this.pending.size > 0) {
        const payloads = [...this.pending];
        this.pending.clear();
        // A failure only delays the listeners until they look again.
        await sql`select pg_notify(${this.channel}, ${`${this.id}:`} || payload) from unnest(${payloads}::text[]) as payload`
          .execute(this.database.db)
          .catch(() => undefined);
      }
    } finally {
      this.sending = false;
    }
  }
}
