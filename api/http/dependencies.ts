import type { Kysely } from 'kysely';
import type { ProviderChain } from '../../application/ai/provider-chain.js';
import type { DiagramRenderer } from '../../application/diagrams/diagram-renderer.js';
import type { CommandDependencies } from '../../application/kernel/handle-command.js';
import type { Cache } from '../../application/ports/cache.js';
import type { EventStore } from '../../application/ports/event-store.js';
import type { Config } from '../../infrastructure/config.js';
import type { Schema } from '../../projections/schema.js';
import type { Logger } from '../../infrastructure/logging.js';
import type { Metrics } from '../../infrastructure/metrics.js';
import type { Redeliverable } from '../../projections/dead-letters.js';
import type { Projection } from '../../projections/projection.js';
import type { ProjectionProgress } from '../../projections/projection-progress.js';
import type { ViewCache } from '../../infrastructure/cache/view-cache.js';
import type { AppliedPosition, LagOf } from '../../projections/projection-status.js';
import type { Workers } from '../../projections/workers.js';
import type { ProjectionRebuilds } from '../../projections/rebuild/projection-rebuilds.js';
import type { VerificationJobs } from '../../projections/rebuild/verification-jobs.js';
import type { IdentityServices } from '../../infrastructure/identity/identity-services.js';
import type { BackgroundReplays } from '../../infrastructure/replay/background-replays.js';
import type { EventStreams } from './server-sent-events.js';
import type { SystemHealth } from '../../infrastructure/ops/system-health.js';
import type { AutohealSupervisor } from '../../projections/autoheal-supervisor.js';

export type ReadDatabase = Readonly<{ name: string; role: 'replica' | 'writer'; db: Kysely<Schema> }>;

/** What the HTTP layer needs from the system, and nothing more. */
export type HttpDependencies = Readonly<{
  config: Config;
  logger: Logger;
  metrics: Metrics;
  commands: CommandDependencies;
  store: EventStore;
  /** The writer: commands' read models, strong reads, operations. */
  db: Kysely<Schema>;
  /** A database for the next eventual read: a healthy replica in turn, or the writer. */
  chooseReader(): ReadDatabase;
  cache: Cache;
  /** Single-aggregate views read from the writer, kept until their projection applies another batch. */
  views: ViewCache;
  projections: readonly Projection[];
  /** Every projection and enricher, for dead-letter retries. */
  deadLetterConsumers: readonly Redeliverable[];
  workers: Workers;
  /** Rebuilds, rollbacks and drops of projections' builds, and verifications, run from this process. */
  rebuilds: ProjectionRebuilds;
  verifications: VerificationJobs;
  lagOf: LagOf;
  /** How far a projection has applied the whole log, as a given database shows it. */
  appliedPosition: AppliedPosition;
  /** Batches this process's projectors apply, announced as they commit, and the bound on read-your-writes waits. */
  progress: ProjectionProgress;
  /** Tokens, passwords, rate limits and the audit trail. */
  identity: IdentityServices;
  /** Replays started over HTTP: those this process runs, and the table every process reads. */
  replays: BackgroundReplays;
  /** Server-Sent Events streams open in this process, ended when it shuts down. */
  eventStreams: EventStreams;
  /** The AI provider chain of this process: what the orchestrator runs intents through, and its providers' health. */
  ai: ProviderChain;
  /** Checks and renders diagram sources (Graphviz in worker threads, started on first use). */
  diagramRenderer: DiagramRenderer;
  /** Health of whatever else this process depends on (replicas, Kafka, AI providers), for /health/ready. */
  dependencyHealth(): Promise<Record<string, unknown>>;
  /** Every dependency, worker and peer, for /v1/ops/health. */
  systemHealth(): Promise<SystemHealth>;
  /** This process's auto-heal supervisor. */
  autoheal: AutohealSupervisor;
  /** For /v1/ops/ping. */
  processInfo: Readonly<{ version: string; startedAt: Date; roles: readonly string[] }>;
}>;
