// Prometheus metrics of one process. Each system owns its registry (no globals), served on /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConsumerHealthSnapshot } from '../projections/consumer-health.js';

type LagSource = () => Promise<ReadonlyMap<string, number>>;
type HealthSource = () => Readonly<Record<string, ConsumerHealthSnapshot>>;
/** Each projection's rebuild, running or last: what the chorus_rebuild_* gauges show. */
export type RebuildFigures = Readonly<{ projection: string; building: boolean; processed: number; rate: number; etaSeconds: number | null; failed: boolean }>;
type RebuildSource = () => Promise<readonly RebuildFigures[]>;

/** The four rebuild gauges are collected one after another in one scrape: they share one read of the figures. */
const REBUILD_FIGURES_FRESH_MS = 1000;

export class Metrics {
  readonly registry = new Registry();
  private lagSource: LagSource | null = null;
  private deadLetterSource: LagSource | null = null;
  private healthSource: HealthSource | null = null;
  private waitsSource: (() => number) | null = null;
  private rebuildSource: RebuildSource | null = null;
  private rebuildFigures: { at: number; figures: Promise<readonly RebuildFigures[]> } | null = null;

  readonly eventsAppended = new Counter({
    name: 'chorus_events_appended_total',
    help: 'Events appended to the event store, by stream category',
    labelNames: ['category'] as const,
    registers: [this.registry],
  });

  readonly relayedEvents = new Counter({
    name: 'chorus_relay_events_total',
    help: 'Events the relay has produced to Kafka and checkpointed',
    registers: [this.registry],
  });

  readonly relayLag = new Gauge({
    name: 'chorus_relay_lag_seconds',
    help: 'Age of the newest event the relay has sent while it is behind; 0 when it has caught up',
    registers: [this.registry],
  });

  readonly foreignMessages = new Counter({
    name: 'chorus_bus_foreign_messages_total',
    help: 'Kafka messages a consumer skipped because another event store relayed them (source: its id, or "none" when no store is named); its watermarks are skipped uncounted',
    labelNames: ['consumer', 'source'] as const,
    registers: [this.registry],
  });

  readonly consumerLag: Gauge<'consumer'> = new Gauge({
    name: 'chorus_consumer_lag_events',
    help: 'Events each projection or enricher has still to process',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
    collect: async (): Promise<void> => this.refresh(this.lagSource, this.consumerLag),
  });

  readonly batchDuration = new Histogram({
    name: 'chorus_batch_duration_seconds',
    help: 'Time to apply one batch, by consumer',
    labelNames: ['consumer'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly deadLetters: Gauge<'consumer'> = new Gauge({
    name: 'chorus_dead_letters_open',
    help: 'Open dead letters, by consumer',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
    collect: async (): Promise<void> => this.refresh(this.deadLetterSource, this.deadLetters),
  });

  readonly consumerStuck: Gauge<'consumer'> = new Gauge({
    name: 'chorus_consumer_stuck',
    help: '1 while a projection or enricher has failed without progress for CHORUS_STUCK_AFTER_MS, else 0',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
    collect: (): void => this.refreshHealth(this.consumerStuck, (health) => (health.stuck ? 1 : 0)),
  });

  readonly consumerFailures: Gauge<'consumer'> = new Gauge({
    name: 'chorus_consumer_failures',
    help: 'Failures of a projection or enricher since its last progress (0 while it is healthy)',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
    collect: (): void => this.refreshHealth(this.consumerFailures, (health) => health.failures),
  });

  readonly positionWaits: Gauge = new Gauge({
    name: 'chorus_position_waits',
    help: 'Reads with X-Chorus-Min-Position waiting for a read model right now',
    registers: [this.registry],
    collect: (): void => {
      if (this.waitsSource !== null) this.positionWaits.set(this.waitsSource());
    },
  });

  readonly liveSubscriptions = new Gauge({
    name: 'chorus_live_subscriptions',
    help: 'Views watched live (Server-Sent Events) in this process: one subscription per view, however many clients watch it',
    registers: [this.registry],
  });

  readonly aiCalls = new Counter({
    name: 'chorus_ai_provider_calls_total',
    help: 'Calls to AI providers, by provider and outcome (success, failure, skipped while the circuit is open)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'chorus_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly snapshotLoads = new Counter({
    name: 'chorus_snapshot_loads_total',
    help: 'Snapshot reads before a command on a stream whose decider keeps snapshots, by whether one was found',
    labelNames: ['found'] as const,
    registers: [this.registry],
  });

  readonly snapshotWrites = new Counter({
    name: 'chorus_snapshot_writes_total',
    help: 'Snapshots written after appends that filled another interval of their stream',
    registers: [this.registry],
  });

  readonly rebuildRunning: Gauge<'projection'> = this.rebuildGauge('chorus_rebuild_running', 'Whether a rebuild of the projection is building (1) or not (0)', (r) => (r.building ? 1 : 0));
  readonly rebuildFailed: Gauge<'projection'> = this.rebuildGauge('chorus_rebuild_failed', 'Whether the last rebuild of the projection failed (1); it resumes when run again', (r) => (r.failed ? 1 : 0));
  readonly rebuildProcessed: Gauge<'projection'> = this.rebuildGauge('chorus_rebuild_processed_events', 'Events the running or last rebuild of the projection has applied', (r) => r.processed);
  readonly rebuildRate: Gauge<'projection'> = this.rebuildGauge('chorus_rebuild_rate_events_per_second', 'Events per second of the running or last rebuild', (r) => r.rate);
  readonly rebuildEta: Gauge<'projection'> = this.rebuildGauge('chorus_rebuild_eta_seconds', 'Seconds a building rebuild expects to need to catch up (-1: not known yet)', (r) => (r.building ? (r.etaSeconds ?? -1) : 0));

  readonly securityEvents = new Counter({
    name: 'chorus_security_events_total',
    help: 'Security events by audit type (refusals, login failures, role and key changes, ...): every one, including those the audit trail sampled away',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly auditDropped = new Counter({
    name: 'chorus_audit_entries_dropped_total',
    help: 'Audit entries dropped because the event store could not take them and too many were waiting',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'chorus_' });
  }

  /** Where consumer lag, open dead letters and rebuilds come from, read at each scrape. */
  observe(sources: { consumerLag?: LagSource; deadLetters?: LagSource; consumerHealth?: HealthSource; positionWaits?: () => number; rebuilds?: RebuildSource }): void {
    this.rebuildSource = sources.rebuilds ?? this.rebuildSource;
    this.waitsSource = sources.positionWaits ?? this.waitsSource;
    this.lagSource = sources.consumerLag ?? this.lagSource;
    this.deadLetterSource = sources.deadLetters ?? this.deadLetterSource;
    this.healthSource = sources.consumerHealth ?? this.healthSource;
  }

  private rebuildGauge(name: string, help: string, value: (figures: RebuildFigures) => number): Gauge<'projection'> {
    const gauge: Gauge<'projection'> = new Gauge({
      name,
      help,
      labelNames: ['projection'] as const,
      registers: [this.registry],
      collect: async (): Promise<void> => {
        const figures = await this.currentRebuildFigures();
        if (figures === null) return;
        gauge.reset();
        for (const rebuild of figures) gauge.set({ projection: rebuild.projection }, value(rebuild));
      },
    });
    return gauge;
  }

  private async currentRebuildFigures(): Promise<readonly RebuildFigures[] | null> {
    if (this.rebuildSource === null) return null;
    const now = performance.now();
    if (this.rebuildFigures === null || now - this.rebuildFigures.at > REBUILD_FIGURES_FRESH_MS) this.rebuildFigures = { at: now, figures: this.rebuildSource() };
    return this.rebuildFigures.figures.catch(() => null); // a scrape must not fail because the database is down
  }

  private refreshHealth(gauge: Gauge<'consumer'>, value: (health: ConsumerHealthSnapshot) => number): void {
    if (this.healthSource === null) return;
    gauge.reset();
    for (const [consumer, health] of Object.entries(this.healthSource())) gauge.set({ consumer }, value(health));
  }

  private async refresh(source: LagSource | null, gauge: Gauge<'consumer'>): Promise<void> {
    if (source === null) return;
    const values = await source().catch(() => null); // a scrape must not fail because a source is down
    if (values === null) return;
    gauge.reset();
    for (const [consumer, value] of values) gauge.set({ consumer }, value);
  }
}
