// Appends the security audit trail in batches, to a stream of its own per writer (`audit-<writer id>`), so that
// concurrent API processes never contend for one stream and a flood of refusals costs one append per flush.
// Refusals (401, 403, failed and locked-out logins) are sampled per source: past an allowance of entries
// from one IP in a minute, the rest are counted and written as one `audit.suppressed` entry when the minute ends.
// Every entry is counted by `onEntry` before sampling, so a metric of them stays exact.
import type { AuditEntry, AuditType } from '../../domain/identity/audit-events.js';
import { ChorusError, WrongExpectedRevision, type ExpectedRevision } from '../../domain/kernel/errors.js';
import type { Upcasting } from '../eventstore/upcasting.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore, NewEvent } from '../ports/event-store.js';
import type { Ids } from '../ports/ids.js';

export const AUDIT_CATEGORY = 'audit';

const SAMPLED: ReadonlySet<AuditType> = new Set(['auth.unauthenticated', 'auth.forbidden', 'auth.login_failed', 'auth.locked_out']);
const WINDOW_MS = 60_000;
/** Sources tracked at once; entries of further sources in a flood are counted under OVERFLOW_SOURCE. */
const MAX_SOURCES = 10_000;
const OVERFLOW_SOURCE = 'many sources';
const MAX_EVENTS_PER_APPEND = 500;

export type AuditInput = Omit<AuditEntry, 'count' | 'occurredAt'>;

export type AuditTrailOptions = Readonly<{
  flushMs: number;
  /** Refusals per source and minute written one by one; the rest of that minute's are counted. */
  allowancePerMinute: number;
  /** Entries waiting for the store beyond this are dropped (and counted by onDropped) rather than held in memory. */
  maxPending: number;
  onEntry?: (type: AuditType) => void;
  onDropped?: (count: number) => void;
  onError?: (error: unknown) => void;
}>;

/** An entry with the event id it is appended under, minted once: a retry after an append whose answer was lost stores nothing twice. */
type Pending = { eventId: string; entry: AuditEntry; settle?: { resolve(): void; reject(error: unknown): void } };
type SourceWindow = { startedAt: number; written: number; suppressed: Map<AuditType, number>; last: AuditInput };

export class AuditTrail {
  private streamId: string;
  private revision: ExpectedRevision = 'no_stream';
  private pending: Pending[] = [];
  private readonly windows = new Map<string, SourceWindow>();
  private flushing: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: EventStore,
    private readonly ids: Ids,
    private readonly clock: Clock,
    /** Which schema AuditRecorded is written with. */
    private readonly upcasting: Upcasting,
    private readonly options: AuditTrailOptions,
  ) {
    this.streamId = `${AUDIT_CATEGORY}-${ids.next()}`;
    this.timer = setInterval(() => void this.flush(), options.flushMs);
    this.timer.unref();
  }

  /**
   * Records an entry with the next flush. The promise settles when it is stored: await it where the entry must be
   * durable before the answer (a role change); refusals need not wait.
   */
  record(input: AuditInput): Promise<void> {
    this.options.onEntry?.(input.type);
    const now = this.clock.now();
    if (SAMPLED.has(input.type) && !this.allowed(input, now.getTime())) return Promise.resolve();
    return new Promise<void>((resolve, reject) =>
      this.enqueue({ eventId: this.ids.next(), entry: { ...input, count: 1, occurredAt: now.toISOString() }, settle: { resolve, reject } }),
    );
  }

  /** Writes what is pending, and the counts of every source's suppressed entries. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    this.closeWindows(Number.POSITIVE_INFINITY);
    await this.flush();
    // The store refused the last of them: whoever waits for one hears so instead of waiting forever.
    for (const { settle } of this.pending.splice(0)) settle?.reject(new Error('The audit trail closed before the entry could be stored'));
  }

  private allowed(input: AuditInput, now: number): boolean {
    let window = this.windows.get(input.ip);
    if (window !== undefined && now - window.startedAt >= WINDOW_MS) {
      this.closeWindow(input.ip, window);
      window = undefined;
    }
    if (window === undefined) {
      if (this.windows.size >= MAX_SOURCES) {
        window = this.windows.get(OVERFLOW_SOURCE) ?? { startedAt: now, written: this.options.allowancePerMinute, suppressed: new Map(), last: input };
        this.windows.set(OVERFLOW_SOURCE, window);
      } else {
        window = { startedAt: now, written: 0, suppressed: new Map(), last: input };
        this.windows.set(input.ip, window);
      }
    }
    if (window.written < this.options.allowancePerMinute) {
      window.written++;
      return true;
    }
    window.suppressed.set(input.type, (window.suppressed.get(input.type) ?? 0) + 1);
    window.last = input;
    return false;
  }

  /** Ends the windows a minute old or older at `now`, queueing a summary of the entries each suppressed. */
  private closeWindows(now: number): void {
    for (const [source, window] of this.windows) {
      if (now - window.startedAt >= WINDOW_MS) this.closeWindow(source, window);
    }
  }

  private closeWindow(source: string, window: SourceWindow): void {
    this.windows.delete(source);
    for (const [type, count] of window.suppressed) {
      const { actor, method, route, correlationId } = window.last;
      const reason = `${count} more ${type} entries from ${source} in the minute from ${new Date(window.startedAt).toISOString()}`;
      this.enqueue({ eventId: this.ids.next(), entry: { type: 'audit.suppressed', actor, method, route, ip: source, correlationId, reason, subject: type, count, occurredAt: this.clock.now().toISOString() } });
    }
  }

  private enqueue(pending: Pending): void {
    if (this.pending.length >= this.options.maxPending) {
      this.options.onDropped?.(1);
      pending.settle?.reject(new Error('The audit trail is backed up; the entry was dropped'));
      return;
    }
    this.pending.push(pending);
  }

  private flush(): Promise<void> {
    this.closeWindows(this.clock.now().getTime());
    if (this.flushing !== null || this.pending.length === 0) return this.flushing ?? Promise.resolve();
    this.flushing = this.writePending().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, MAX_EVENTS_PER_APPEND);
      const schema = this.upcasting.currentSchema('AuditRecorded');
      const events: NewEvent[] = batch.map(({ eventId, entry }) => ({
        eventId,
        type: 'AuditRecorded',
        data: entry,
        metadata: { correlationId: entry.correlationId, causationId: null, actor: entry.actor, occurredAt: entry.occurredAt, schema },
      }));
      try {
        const appended = await this.store.append(this.streamId, events, { expectedRevision: this.revision });
        this.revision = appended.nextRevision;
      } catch (error) {
        if (error instanceof WrongExpectedRevision) {
          // Only this writer appends here; should another have, write on in a stream of its own.
          this.streamId = `${AUDIT_CATEGORY}-${this.ids.next()}`;
          this.revision = 'no_stream';
        } else {
          this.options.onError?.(error);
        }
        return; // the batch stays pending for the next flush
      }
      this.pending.splice(0, batch.length);
      for (const { settle } of batch) settle?.resolve();
    }
  }
}

/**
 * Runs an operator's action and records it however it ends: what it did, or the code it was refused with. The
 * answer waits for the entry.
 */
export async function auditedAttempt<T>(work: () => Promise<T>, describe: (result: T) => string, record: (reason: string) => Promise<void>): Promise<T> {
  let reason = 'failed';
  try {
    const result = await work();
    reason = describe(result);
    return result;
  } catch (error) {
    if (error instanceof ChorusError) reason = `refused: ${error.code}`;
    throw error;
  } finally {
    await record(reason);
  }
}
