// The one place where adapters meet ports. Each system gets its own child container: no module singletons.
import { hostname } from 'node:os';
import 'reflect-metadata';
import path from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { container, type DependencyContainer } from 'tsyringe';
import { ProviderChain } from '../application/ai/provider-chain.js';
import type { AiProvider } from '../application/ports/ai-provider.js';
import { Upcasting, upcastingEventStore } from '../application/eventstore/upcasting.js';
import type { Cache } from '../application/ports/cache.js';
import type { EventBus } from '../application/ports/event-bus.js';
import type { Clock } from '../application/ports/clock.js';
import type { EventStore } from '../application/ports/event-store.js';
import type { Ids } from '../application/ports/ids.js';
import type { SnapshotStore } from '../application/ports/snapshot-store.js';
import { PostgresSnapshotStore } from './eventstore/snapshot-table.js';
import { countOpenDeadLetters, upcastingRedelivery, type Redeliverable } from '../projections/dead-letters.js';
import type { EventConsumer } from '../projections/event-consumer.js';
import { EnricherConsumer } from '../projections/enricher.js';
import type { ContextModule } from '../projections/context-module.js';
import { ProjectionApplier, type ConsumerOptions } from '../projections/projection-applier.js';
import { ProjectionProgress } from '../projections/projection-progress.js';
import { appliedCheckpoint, appliedWatermark, logLag, type AppliedPosition, type LagOf, type TopicsOf } from '../projections/projection-status.js';
import { keptBy, type Projection } from '../projections/projection.js';
import { Workers, type Worker } from '../projections/workers.js';
import { scheduleWorker } from '../projections/schedule-worker.js';
import { ProjectionRebuilds } from '../projections/rebuild/projection-rebuilds.js';
import { VerificationJobs } from '../projections/rebuild/verification-jobs.js';
import { projectionLockOf } from './db/projection-lock.js';
import { aiProviders } from './ai/ai-providers.js';
import type { SharedAdmin, TopicPartitions } from './bus/kafka/kafka.js';
import { KafkaTopology } from './bus/kafka/kafka-topology.js';
import { InProcessBus } from './bus/inprocess/inprocess-bus.js';
import { MemoryCache } from './cache/memory/memory-cache.js';
import { systemClock, uuidV7Ids } from './clock-and-ids.js';
import { ConfigError, IN_MEMORY, type Config } from './config.js';
import { lockDataDir } from './db/data-dir-lock.js';
import { openPglite, openPostgres, type SqlDatabase } from './db/database.js';
import { migrate, type Migrations } from './db/migrations.js';
import { Notifier } from './db/notifier.js';
import { ReadReplicas, replicaName } from './db/read-replicas.js';
import { isTransientError } from './db/transient-errors.js';
import { instrumentEventStore } from './eventstore/instrumented-event-store.js';
import type { EsdbEventStore } from './eventstore/esdb/esdb-event-store.js';
import { PostgresEventStore } from './eventstore/postgres/postgres-event-store.js';
import type { Logger } from './logging.js';
import { provideSingleton, provideValue, resolve, token } from './tokens.js';
import { Metrics } from './metrics.js';

/** The configured store before instrumentation: the built-in PostgreSQL one, or EventStoreDB (CHORUS_EVENT_STORE). */
type EventStoreAdapter = PostgresEventStore | EsdbEventStore;

/**
 * The adapters of services that may not be configured (Kafka, Redis, EventStoreDB), loaded only when they are:
 * a process without them (the embedded profile) never carries their clients, some 20 MB of memory.
 */
async function loadAdapters(config: Config) {
  const [kafka, redis, esdb] = await Promise.all([
    config.kafkaBrokers === undefined ? null : loadKafka(),
    config.redisUrl === undefined ? null : import('./cache/redis/redis-cache.js'),
    config.eventStore === 'esdb' ? import('./eventstore/esdb/esdb-event-store.js') : null,
  ]);
  return { kafka, RedisCache: redis?.RedisCache ?? null, EsdbEventStore: esdb?.EsdbEventStore ?? null };
}

async function loadKafka() {
  const [kafka, relay, bus, deadLetters] = await Promise.all([
    import('./bus/kafka/kafka.js'),
    import('./bus/kafka/kafka-relay.js'),
    import('./bus/kafka/kafka-bus.js'),
    import('./bus/kafka/kafka-dead-letters.js'),
  ]);
  return { ...kafka, ...relay, ...bus, ...deadLetters };
}

type Adapters = Awaited<ReturnType<typeof loadAdapters>>;
/** Kafka's client with the code that drives it: present exactly when KAFKA_BROKERS is set. */
type KafkaSide = NonNullable<Adapters['kafka']> & { client: Kafka };

/** Where projectors announce their batches to the read-your-writes waits of other processes. */
const PROGRESS_CHANNEL = 'chorus_progress';

/** What a process does: serve the API, relay the log to Kafka, keep projections, or run enrichers. */
export type Role = 'api' | 'relay' | 'projector' | 'enricher';
export const ALL_ROLES: readonly Role[] = ['api', 'relay', 'projector', 'enricher'];

export const tokens = {
  config: token<Config>('Config'),
  logger: token<Logger>('Logger'),
  metrics: token<Metrics>('Metrics'),
  clock: token<Clock>('Clock'),
  ids: token<Ids>('Ids'),
  database: token<SqlDatabase>('SqlDatabase'),
  eventStoreAdapter: token<EventStoreAdapter>('EventStoreAdapter'),
  eventStore: token<EventStore>('EventStore'),
  replicaDatabases: token<readonly SqlDatabase[]>('ReplicaDatabases'),
  readers: token<ReadReplicas>('ReadReplicas'),
  cache: token<Cache>('Cache'),
  kafka: token<Kafka | null>('Kafka'),
  aiChain: token<ProviderChain>('ProviderChain'),
} as const;

export type SystemOptions = Readonly<{
  roles: readonly Role[];
  /** The bounded contexts this system hosts: their tables, projections, enrichers and Kafka topics. */
  modules: readonly ContextModule[];
  /** Migrations of tables that belong to neither the core nor a context (the HTTP layer's). */
  migrations?: readonly Migrations[];
  /** Only these projections (by name), for `chorus run projector --only`. */
  only?: readonly string[];
  /** The AI providers, in chain order, instead of those CHORUS_AI_PROVIDERS names (tests: a stub that fails). */
  aiProviders?: readonly AiProvider[];
  /** Tests only: wraps each worker before it runs, to make one fail on demand. */
  wrapWorker?: (name: string, worker: Worker) => Worker;
}>;

export type System = Readonly<{
  config: Config;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  ids: Ids;
  database: SqlDatabase;
  /** Reads come out at the current schemas (the modules' upcasters); appends pass as they are. */
  store: EventStore;
  /** The modules' upcasters: how older events read, and which schema new ones are written with. */
  upcasting: Upcasting;
  /** Snapshots of the streams whose deciders keep them. */
  snapshots: SnapshotStore;
  readers: ReadReplicas;
  cache: Cache;
  kafka: Kafka | null;
  /** The process's one admin connection to Kafka, for lag and health reads; null without Kafka. */
  kafkaAdmin: SharedAdmin | null;
  topology: KafkaTopology;
  aiChain: ProviderChain;
  modules: readonly ContextModule[];
  projections: readonly Projection[];
  /** Lag of any consumer, by whatever feeds it. */
  lagOf: LagOf;
  /** How far a projection has applied the whole log, by whatever feeds it: what read-your-writes waits for. */
  appliedPosition: AppliedPosition;
  /** Batches the projectors of this process commit, announced to read-your-writes waits; bounds those waits. */
  progress: ProjectionProgress;
  workers: Workers;
  /** Every projection and enricher, whatever this process runs: what dead-letter retries redeliver to. */
  deadLetterConsumers: readonly Redeliverable[];
  /** Blue/green rebuilds, rollbacks and drops of the projections' builds, run from this process. */
  rebuilds: ProjectionRebuilds;
  /** Verifications operators start over HTTP, run from this process. */
  verifications: VerificationJobs;
  close(): Promise<void>;
}>;

export async function openDatabase(config: Config, logger: Logger): Promise<SqlDatabase> {
  if (config.databaseUrl !== undefined) {
    return openPostgres(config.databaseUrl, {
      poolMax: config.databasePoolMax,
      preparedStatements: config.databasePreparedStatements,
      onListenError: (error) => logger.warn({ err: error }, 'database connection error'),
    });
  }
  if (config.dataDir === IN_MEMORY) return openPglite(undefined);
  const unlock = await lockDataDir(config.dataDir);
  try {
    const database = await openPglite(path.join(config.dataDir, 'pgdata'));
    return { ...database, close: () => database.close().finally(unlock) };
  } catch (error) {
    await unlock();
    throw error;
  }
}

/** The core's migrations come with the migrator; these are the contexts' and any others the caller names. */
const migrationsOf = (options: SystemOptions): readonly Migrations[] => [...options.modules.map((module) => module.migrations), ...(options.migrations ?? [])];

/** Opens the database, brings its schema up to date and wires the services of the given roles (not started). */
export async function openSystem(config: Config, logger: Logger, options: SystemOptions): Promise<System> {
  if (options.roles.includes('relay') && config.kafkaBrokers === undefined && options.roles.length === 1) {
    throw new ConfigError('Invalid configuration:\n  KAFKA_BROKERS: the relay role produces to Kafka, so it needs KAFKA_BROKERS');
  }
  const upcasting = new Upcasting(options.modules.flatMap((module) => module.upcasters));
  const database = await openDatabase(config, logger);
  try {
    await migrate(database.db, 'up', migrationsOf(options));
  } catch (error) {
    await database.close();
    throw error;
  }
  const { id: instanceId } = await database.db.selectFrom('instance').select('id').executeTakeFirstOrThrow();
  const adapters = await loadAdapters(config);
  const c = register(container.createChildContainer(), config, logger, database, instanceId, upcasting, adapters, options.aiProviders);
  const kafka = resolve(c, tokens.kafka);
  const kafkaSide: KafkaSide | null = kafka === null || adapters.kafka === null ? null : { ...adapters.kafka, client: kafka };
  // The store's identity on Kafka: this database's instance row (with EventStoreDB, that of its read models).
  const topology = new KafkaTopology(config.kafkaTopicPrefix, options.modules, instanceId);
  const partitions = kafkaSide === null ? null : await kafkaSide.ensureTopics(kafkaSide.client, topology.allTopics(), config.kafkaTopicPartitions);
  const readers = resolve(c, tokens.readers);
  readers.start();
  const progress = new ProjectionProgress(config.maxPositionWaits);
  // Batches projectors in other processes commit reach this one's read-your-writes waits as NOTIFYs (PGlite: one process).
  const progressNews = database.kind === 'pglite' ? null : new Notifier(database, PROGRESS_CHANNEL);
  const stopHearingProgress =
    progressNews !== null && options.roles.includes('api')
      ? await progressNews.listen((projection) => {
          // Undefined: the connection came back, and news may have been missed: every projection may have moved.
          if (projection !== undefined) progress.announce(projection);
          else for (const module of options.modules) for (const { name } of module.projections) progress.announce(name);
        })
      : async () => undefined;
  const kafkaAdmin = kafkaSide === null ? null : kafkaSide.sharedAdmin(kafkaSide.client);
  const system = {
    config,
    logger,
    metrics: resolve(c, tokens.metrics),
    clock: resolve(c, tokens.clock),
    ids: resolve(c, tokens.ids),
    database,
    store: resolve(c, tokens.eventStore),
    upcasting,
    readers,
    cache: resolve(c, tokens.cache),
    snapshots: new PostgresSnapshotStore(database.db, {
      onLoad: (found) => resolve(c, tokens.metrics).snapshotLoads.inc({ found: found ? 'yes' : 'no' }),
      onSave: () => resolve(c, tokens.metrics).snapshotWrites.inc(),
    }),
    kafka,
    kafkaAdmin,
    topology,
    aiChain: resolve(c, tokens.aiChain),
    modules: options.modules,
    projections: options.modules.flatMap((module) => module.projections),
    progress,
    appliedPosition:
      partitions === null
        ? appliedCheckpoint(resolve(c, tokens.eventStore))
        : appliedWatermark(resolve(c, tokens.eventStore), topicsOfProjections(topology, partitions)),
  };
  const lagOf: LagOf = async (consumer) =>
    kafkaSide === null || kafkaAdmin === null
      ? logLag(system.store, consumer)
      : kafkaAdmin.use(async (admin) => ({
          events: await kafkaSide.consumerGroupLag(admin, topology.groupIdOf(consumer.name), topology.topicsOf(consumer.categories)),
          capped: false,
        }));
  const { workers, consumers, closeWorkers } = buildWorkers({ ...system, lagOf }, options, progressNews, kafkaSide);
  const lock = projectionLockOf(database);
  const rebuilds = new ProjectionRebuilds(
    {
      db: database.db,
      store: system.store,
      lock,
      appliedPosition: system.appliedPosition,
      logger,
      options: { ...consumerOptionsOf(config), batchSize: config.projectionBatchSize, holder: `${hostname()} pid ${process.pid}` },
    },
    system.projections,
  );
  const verifications = new VerificationJobs(database.db, system.store, system.ids, lock, logger, { batchSize: config.projectionBatchSize, examples: 10 });
  return {
    ...system,
    lagOf,
    workers,
    deadLetterConsumers: consumers.map((consumer) => upcastingRedelivery(consumer, upcasting)),
    rebuilds,
    verifications,
    close: async () => {
      await rebuilds.stop();
      await verifications.stop();
      await workers.stop();
      await closeWorkers();
      await kafkaAdmin?.close();
      await stopHearingProgress();
      await readers.stop();
      await Promise.all(resolve(c, tokens.replicaDatabases).map((replica) => replica.close()));
      await system.cache.close();
      const adapter = resolve(c, tokens.eventStoreAdapter);
      if (adapters.EsdbEventStore !== null && adapter instanceof adapters.EsdbEventStore) await adapter.close();
      await database.close();
      c.clearInstances();
    },
  };
}

/**
 * Each projection's topics with their partition counts and the categories of it they carry, worked out once per
 * projection: read-your-writes asks for them on every look.
 */
function topicsOfProjections(topology: KafkaTopology, partitions: TopicPartitions): TopicsOf {
  const known = new Map<string, ReturnType<TopicsOf>>();
  return (projection) => {
    let topics = known.get(projection.name);
    if (topics === undefined) {
      const carried = topology.categoriesByTopic(projection.categories);
      topics = new Map([...carried].map(([topic, categories]) => [topic, { partitions: partitions.get(topic) ?? 0, categories }]));
      known.set(projection.name, topics);
    }
    return topics;
  };
}

function register(
  c: DependencyContainer,
  config: Config,
  logger: Logger,
  database: SqlDatabase,
  instanceId: string,
  upcasting: Upcasting,
  { kafka, RedisCache, EsdbEventStore }: Adapters,
  providers: readonly AiProvider[] | undefined,
): DependencyContainer {
  provideValue(c, tokens.config, config);
  provideValue(c, tokens.logger, logger);
  provideValue(c, tokens.database, database);
  provideValue(c, tokens.clock, systemClock);
  provideValue(c, tokens.ids, uuidV7Ids);
  provideSingleton(c, tokens.metrics, () => new Metrics());
  provideSingleton(c, tokens.eventStoreAdapter, () =>
    EsdbEventStore !== null
      ? new EsdbEventStore(config.esdbUrl!, { idleCheckpointMs: config.pollIntervalMs })
      : new PostgresEventStore(database, { pollIntervalMs: config.pollIntervalMs, gatherMs: config.subscriptionGatherMs }),
  );
  provideSingleton(c, tokens.eventStore, (r) => instrumentEventStore(upcastingEventStore(resolve(r, tokens.eventStoreAdapter), upcasting), resolve(r, tokens.metrics)));
  provideSingleton(c, tokens.replicaDatabases, () => config.replicaUrls.map((url) => openPostgres(url, { poolMax: config.databasePoolMax, preparedStatements: config.databasePreparedStatements })));
  provideSingleton(c, tokens.readers, (r) => {
    const replicas = resolve(r, tokens.replicaDatabases).map((replica, index) => ({ name: replicaName(config.replicaUrls[index]!), db: replica.db }));
    return new ReadReplicas(database.db, replicas, {
      maxLagMs: config.replicaMaxLagMs,
      checkIntervalMs: 1000,
      onError: (replica, error) => logger.warn({ replica, err: error }, 'read replica check failed'),
    });
  });
  provideSingleton(c, tokens.cache, () =>
      RedisCache === null || config.redisUrl === undefined
        ? new MemoryCache({ maxEntries: 10_000 })
        : new RedisCache(config.redisUrl, {
            // Keys carry versions that only mean something within one database; Redis may serve several.
            keyPrefix: `chorus:${instanceId}:`,
            onError: (error) => logger.warn({ err: error }, 'redis cache error'),
          }),
  );
  provideSingleton(c, tokens.kafka, () => (kafka === null || config.kafkaBrokers === undefined ? null : kafka.createKafka(config.kafkaBrokers, config.kafkaClientId, logger)));
  provideSingleton(c, tokens.aiChain, (r) => {
      const metrics = resolve(r, tokens.metrics);
      return new ProviderChain(providers ?? aiProviders(config), {
        clock: systemClock,
        timeoutMs: config.aiTimeoutMs,
        failureThreshold: 5,
        openMs: 30_000,
        onCall: (provider, outcome) => metrics.aiCalls.inc({ provider, outcome }),
      });
  });
  return c;
}

type Parts = Omit<System, 'workers' | 'deadLetterConsumers' | 'rebuilds' | 'verifications' | 'close'>;

/** How every consumer retries: a lost connection for as long as it takes, anything else a few times before a dead letter. */
const consumerOptionsOf = (config: Config): ConsumerOptions => ({
  maxAttempts: config.projectionMaxAttempts,
  retryMinMs: 100,
  retryMaxMs: 30_000,
  isTransient: isTransientError,
});

/**
 * Every consumer (each projection, each enricher), so that any of their dead letters can be retried here, and
 * workers for those of the given roles, each fed by Kafka when it is configured, else by the store; plus the relay.
 */
function buildWorkers(
  system: Parts,
  { roles, only, wrapWorker }: SystemOptions,
  progressNews: Notifier | null,
  kafkaSide: KafkaSide | null,
): { workers: Workers; consumers: readonly (EventConsumer & Redeliverable)[]; closeWorkers(): Promise<void> } {
  const { config, logger, metrics, database, store, upcasting, topology, lagOf, progress } = system;
  const unknown = (only ?? []).filter((name) => !system.projections.some((projection) => projection.name === name));
  if (unknown.length > 0) throw new ConfigError(`Unknown projection(s) for --only: ${unknown.join(', ')}`);
  const elsewhere = system.projections.filter((projection) => only?.includes(projection.name) === true && !keptBy(projection, roles));
  if (elsewhere.length > 0) throw new ConfigError(`Not kept by the ${roles.join(', ')} role(s), so not for --only: ${elsewhere.map((p) => `${p.name} (${p.role ?? 'projector'} role)`).join(', ')}`);

  const deadLetterProducer: Producer | null = kafkaSide === null ? null : kafkaSide.deadLetterProducer(kafkaSide.client);
  const options: ConsumerOptions = {
    ...consumerOptionsOf(config),
    ...(deadLetterProducer === null || kafkaSide === null ? {} : { publishDeadLetter: kafkaSide.deadLetterPublisher(deadLetterProducer, topology.deadLetterTopic, topology.storeId) }),
  };
  const appliers = system.projections.map(
    (projection) =>
      new ProjectionApplier(database.db, store, projection, logger, {
        ...options,
        onBatchApplied: (name, _events, seconds) => {
          metrics.batchDuration.observe({ consumer: `projection.${name}` }, seconds);
          progress.announce(name);
          progressNews?.notify(name);
        },
      }),
  );
  const enricherDependencies = {
    store,
    ids: system.ids,
    clock: system.clock,
    upcasting,
    ai: system.aiChain,
    db: database.db,
    appliedPosition: system.appliedPosition,
    settings: { draftsBucketWindow: config.draftsBucketWindow },
  };
  const enrichers = system.modules
    .flatMap((module) => module.enrichers(enricherDependencies))
    .map((enricher) => new EnricherConsumer(database.db, enricher, logger, { ...options, retryMinMs: 500, retryMaxMs: 60_000 }));

  const running: EventConsumer[] = [
    ...appliers.filter((applier) => keptBy(applier.projection, roles) && (only === undefined || only.includes(applier.projection.name))),
    ...(roles.includes('enricher') ? enrichers : []),
  ];
  const bus: EventBus =
    kafkaSide === null
      ? new InProcessBus(store, logger, config.projectionBatchSize)
      : new kafkaSide.KafkaBus(kafkaSide.client, topology, upcasting, logger, metrics, config.projectionBatchSize);
  const runners = new Map<string, Worker>();
  if (roles.includes('relay') && kafkaSide !== null) {
    const relay = new kafkaSide.KafkaRelay(database.db, store, kafkaSide.client, topology, logger, metrics, config.projectionBatchSize);
    runners.set('relay', { run: (signal) => relay.run(signal), role: 'relay' });
  }
  const projectionRoles = new Map(system.projections.map((projection) => [`projection.${projection.name}`, projection.role ?? 'projector']));
  for (const consumer of running) {
    runners.set(consumer.name, {
      run: (signal) => bus.run(consumer, signal),
      health: consumer.health,
      role: projectionRoles.get(consumer.name) ?? 'enricher',
      lag: async () => (await lagOf(consumer)).events,
    });
  }
  if (roles.includes('enricher')) {
    for (const schedule of system.modules.flatMap((module) => module.schedules?.(enricherDependencies) ?? [])) {
      runners.set(schedule.name, { ...scheduleWorker(schedule, logger), role: 'enricher' });
    }
  }
  // Test compositions may wrap a worker (to make it crash or stall on demand); nothing in production sets this.
  if (wrapWorker !== undefined) for (const [name, worker] of runners) runners.set(name, wrapWorker(name, worker));
  const workers = new Workers(runners, logger, config.stuckAfterMs);

  metrics.observe({
    consumerLag: async () => new Map(await Promise.all(running.map(async (consumer) => [consumer.name, (await lagOf(consumer)).events] as const))),
    deadLetters: () => countOpenDeadLetters(database.db),
    consumerHealth: () => workers.health(),
    positionWaits: () => progress.waiting,
    rebuilds: async () =>
      (await database.db.selectFrom('projection_rebuilds').select(['projection', 'status', 'processed', 'rate', 'eta_seconds']).execute()).map((row) => ({
        projection: row.projection,
        building: row.status === 'building',
        failed: row.status === 'failed',
        processed: Number(row.processed),
        rate: row.rate,
        etaSeconds: row.eta_seconds,
      })),
  });

  return {
    workers,
    consumers: [...appliers, ...enrichers],
    closeWorkers: async () => {
      await deadLetterProducer?.disconnect().catch(() => undefined);
    },
  };
}
