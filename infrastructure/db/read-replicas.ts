// Routes queries to PostgreSQL streaming replicas: round-robin over the ones a periodic health check
// found reachable, in recovery and within the lag bound; the writer answers when none qualifies.
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../projections/schema.js';

export type ReplicaTarget = Readonly<{ name: string; db: Kysely<Schema> }>;

export type ReadReplicasOptions = Readonly<{
  maxLagMs: number;
  checkIntervalMs: number;
  /** Called once per distinct failure of a replica's check (not on every interval while it persists). The writer's LSN read reports as 'writer'. */
  onError?: (replica: string, error: Error) => void;
}>;

export type ReadTarget = Readonly<{ name: string; role: 'replica' | 'writer'; db: Kysely<Schema> }>;

export type ReplicaStatus = Readonly<{
  name: string;
  healthy: boolean;
  lagMs: number | null;
  /** The error of the most recent check; null when it succeeded. */
  lastError: string | null;
  checkedAt: string | null;
}>;

/** `host:port/db` of a postgres URL, without user or password, for logs and status. */
export function replicaName(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // URL's own error carries the input, password included.
    throw new TypeError('invalid replica URL (not shown: it may hold a password)');
  }
  const port = parsed.port === '' ? '5432' : parsed.port;
  return `${parsed.hostname}:${port}/${decodeURIComponent(parsed.pathname.replace(/^\//, ''))}`;
}

/** The writer's WAL position and when we asked for it: a replica that replayed up to `lsn` has every commit made before `at`. */
type WriterMark = Readonly<{ lsn: bigint; at: number }>;

type Probe = Readonly<{ inRecovery: boolean; replayLsn: bigint | null; sinceLastReplayMs: number | null }>;

type ReplicaState = {
  readonly name: string;
  readonly db: Kysely<Schema>;
  lagMs: number | null;
  inRecovery: boolean;
  lastError: string | null;
  checkedAt: number | null;
  succeededAt: number | null;
  /** The replica's query, until it settles: a new check never starts beside a hung one. */
  probing: Promise<void> | null;
  /** The check as a whole, bounded by the timeout: what stop() waits for. */
  checking: Promise<void> | null;
};

// Writer marks kept for replicas that are just behind the latest one: enough for a few intervals.
const WRITER_MARKS_KEPT = 8;

export class ReadReplicas {
  private readonly replicas: ReplicaState[];
  private readonly checkTimeoutMs: number;
  private readonly staleAfterMs: number;
  private writerMarks: WriterMark[] = [];
  private writerRead: Promise<WriterMark | null> | null = null;
  private writerLastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private cursor = 0;

  constructor(
    private readonly writer: Kysely<Schema>,
    replicas: readonly ReplicaTarget[],
    private readonly options: ReadReplicasOptions,
  ) {
    this.replicas = replicas.map(({ name, db }) => ({
      name,
      db,
      lagMs: null,
      inRecovery: false,
      lastError: null,
      checkedAt: null,
      succeededAt: null,
      probing: null,
      checking: null,
    }));
    // A short interval must not turn a slow but working replica into a failing one.
    this.checkTimeoutMs = Math.max(options.checkIntervalMs, 1000);
    // A check that has not succeeded for this long says nothing about the replica any more.
    this.staleAfterMs = 3 * options.checkIntervalMs + this.checkTimeoutMs;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.checkAll(), this.options.checkIntervalMs);
    this.timer.unref();
    this.checkAll();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.replicas.map((replica) => replica.checking));
  }

  /** The next healthy replica in turn, or the writer. Until the first check completes, that is the writer. */
  choose(): ReadTarget {
    const now = Date.now();
    for (let step = 0; step < this.replicas.length; step++) {
      const index = (this.cursor + step) % this.replicas.length;
      const replica = this.replicas[index]!;
      if (this.isHealthy(replica, now)) {
        this.cursor = (index + 1) % this.replicas.length;
        return { name: replica.name, role: 'replica', db: replica.db };
      }
    }
    return { name: 'writer', role: 'writer', db: this.writer };
  }

  status(): readonly ReplicaStatus[] {
    const now = Date.now();
    return this.replicas.map((replica) => ({
      name: replica.name,
      healthy: this.isHealthy(replica, now),
      lagMs: replica.lagMs,
      lastError: replica.lastError,
      checkedAt: replica.checkedAt === null ? null : new Date(replica.checkedAt).toISOString(),
    }));
  }

  private isHealthy(replica: ReplicaState, now: number): boolean {
    return (
      replica.lastError === null &&
      replica.inRecovery &&
      replica.succeededAt !== null &&
      now - replica.succeededAt <= this.staleAfterMs &&
      replica.lagMs !== null &&
      replica.lagMs <= this.options.maxLagMs
    );
  }

  private checkAll(): void {
    if (this.replicas.length === 0) return;
    const mark = this.readWriterMark();
    for (const replica of this.replicas) {
      if (replica.probing !== null) continue;
      const probe = probeReplica(replica.db);
      replica.probing = probe.then(
        () => undefined,
        () => undefined,
      );
      void replica.probing.finally(() => (replica.probing = null));
      replica.checking = this.record(replica, probe, mark);
    }
  }

  /** One read of the writer's LSN per round, shared by the replicas' checks; never two at once. */
  private readWriterMark(): Promise<WriterMark | null> {
    this.writerRead ??= (async () => {
      // Taken before the query: the LSN we get back covers at least every commit made before this instant.
      const at = Date.now();
      try {
        const { rows } = await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(this.writer);
        const mark = { lsn: parseLsn(rows[0]!.lsn), at };
        this.writerMarks = [...this.writerMarks.slice(1 - WRITER_MARKS_KEPT), mark];
        this.writerLastError = null;
        return mark;
      } catch (error) {
        const failure = asError(error);
        if (failure.message !== this.writerLastError) this.report('writer', failure);
        this.writerLastError = failure.message;
        return null;
      }
    })().finally(() => (this.writerRead = null));
    return this.writerRead;
  }

  private async record(replica: ReplicaState, probe: Promise<Probe>, markRead: Promise<WriterMark | null>): Promise<void> {
    try {
      const [result, mark] = await Promise.all([
        withTimeout(probe, this.checkTimeoutMs, `replica health check timed out after ${this.checkTimeoutMs} ms`),
        // Without the writer's position the lag still has its timestamp bound; a slow writer must not hold the check.
        withTimeout(markRead, this.checkTimeoutMs, 'writer LSN read timed out').catch(() => null),
      ]);
      const now = Date.now();
      replica.checkedAt = now;
      replica.inRecovery = result.inRecovery;
      if (!result.inRecovery) {
        // A promoted or mistaken primary: reading it would mean reading a history that may have diverged.
        replica.lagMs = null;
        this.fail(replica, new Error('not in recovery: this server is not a standby'));
        return;
      }
      replica.lagMs = this.lagOf(result, mark, now);
      replica.lastError = null;
      replica.succeededAt = now;
    } catch (error) {
      replica.checkedAt = Date.now();
      replica.lagMs = null;
      this.fail(replica, asError(error));
    }
  }

  /**
   * 0 when the replica has replayed the writer's current LSN. Otherwise the smaller of two upper bounds on
   * how old its data is: since the last replayed commit, and since the latest writer mark it has replayed.
   * The second keeps an idle primary (no commits, only background WAL such as checkpoints) from making
   * a replica that is one record behind look minutes stale. null when neither bound is known.
   */
  private lagOf(probe: Probe, mark: WriterMark | null, now: number): number | null {
    const replayed = probe.replayLsn;
    if (replayed !== null && mark !== null && replayed >= mark.lsn) return 0;
    const bounds: number[] = [];
    if (probe.sinceLastReplayMs !== null) bounds.push(Math.max(0, probe.sinceLastReplayMs));
    if (replayed !== null) {
      const reached = this.writerMarks.findLast((candidate) => candidate.lsn <= replayed);
      if (reached !== undefined) bounds.push(now - reached.at);
    }
    return bounds.length === 0 ? null : Math.round(Math.min(...bounds));
  }

  private fail(replica: ReplicaState, error: Error): void {
    const repeated = replica.lastError === error.message;
    replica.lastError = error.message;
    if (!repeated) this.report(replica.name, error);
  }

  private report(name: string, error: Error): void {
    try {
      this.options.onError?.(name, error);
    } catch {
      // A failing logger must not stop the health checks (or surface as an unhandled rejection).
    }
  }
}

async function probeReplica(db: Kysely<Schema>): Promise<Probe> {
  // The replay-timestamp difference is taken on the replica's own clock, so the application's clock plays no part.
  const { rows } = await sql<{ in_recovery: boolean; replay_lsn: string | null; since_last_replay_ms: number | null }>`
    select pg_is_in_recovery() as in_recovery,
           pg_last_wal_replay_lsn()::text as replay_lsn,
           (extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::float8 as since_last_replay_ms
  `.execute(db);
  const row = rows[0]!;
  return {
    inRecovery: row.in_recovery,
    replayLsn: row.replay_lsn === null ? null : parseLsn(row.replay_lsn),
    sinceLastReplayMs: row.since_last_replay_ms,
  };
}

/** pg_lsn text is two hex halves of a 64-bit WAL position: `16/B374D848`. */
function parseLsn(text: string): bigint {
  const [high, low] = text.split('/');
  if (high === undefined || low === undefined) throw new Error(`unexpected LSN ${text}`);
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
