// Process roles. Every process serves /health/live, /health/ready and /metrics on PORT; the api role serves
// the API there too. `start` runs every role in one process (embedded PGlite unless DATABASE_URL is set).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { AiProvider } from '../application/ports/ai-provider.js';
import type { Config } from '../infrastructure/config.js';
import { keptBy } from '../projections/projection.js';
import { rebuildOutdatedProjections } from '../projections/rebuild/outdated-projections.js';
import { describeDatabase, IN_MEMORY } from '../infrastructure/config.js';
import { ALL_ROLES, openSystem, type Role, type System, type SystemOptions } from '../infrastructure/composition-root.js';
import { systemHealth } from '../infrastructure/ops/system-health.js';
import { AutohealSupervisor } from '../projections/autoheal-supervisor.js';
import type { Logger } from '../infrastructure/logging.js';
import { apiMigrations, contexts as allContexts, type BoundedContext } from './contexts.js';
import { createHttpApp } from './http/app.js';
import { sweepIdempotencyKeysPeriodically } from './http/idempotency.js';
import { answerClientError } from './http/request.js';
import type { HttpDependencies } from './http/dependencies.js';
import { ViewCache } from '../infrastructure/cache/view-cache.js';
import { openIdentity, type IdentityServices } from '../infrastructure/identity/identity-services.js';
import { BackgroundReplays } from '../infrastructure/replay/background-replays.js';
import { replayTargetsOf } from '../infrastructure/replay/replay-targets.js';
import { EventStreams } from './http/server-sent-events.js';
import type { DiagramRenderer } from '../application/diagrams/diagram-renderer.js';
import { graphvizRenderer } from '../infrastructure/diagrams/graphviz-renderer.js';

export type RunningChorus = Readonly<{
  system: System;
  /** Tokens, passwords, rate limits and the audit trail of this process. */
  identity: IdentityServices;
  url: string;
  /** Stops accepting connections, lets in-flight requests and batches finish, closes every connection. */
  stop(): Promise<void>;
}>;

/** The version in package.json (the source tree's, or the installed package's one level further up from dist/). */
export const CHORUS_VERSION: string = (() => {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // Not there: try the next.
    }
  }
  return 'unknown';
})();

export const httpDependencies = (
  system: System,
  identity: IdentityServices,
  replays: BackgroundReplays,
  { autoheal, roles, startedAt, diagramRenderer }: Readonly<{ autoheal: AutohealSupervisor; roles: readonly string[]; startedAt: Date; diagramRenderer: DiagramRenderer }>,
): HttpDependencies => ({
  config: system.config,
  logger: system.logger,
  metrics: system.metrics,
  commands: { store: system.store, ids: system.ids, clock: system.clock, upcasting: system.upcasting, snapshots: system.snapshots },
  store: system.store,
  db: system.database.db,
  chooseReader: () => system.readers.choose(),
  cache: system.cache,
  views: new ViewCache(system.progress, { maxBytes: system.config.viewCacheMegabytes * 2 ** 20, maxAgeMs: system.config.viewCacheMaxAgeMs }),
  projections: system.projections,
  deadLetterConsumers: system.deadLetterConsumers,
  rebuilds: system.rebuilds,
  verifications: system.verifications,
  workers: system.workers,
  lagOf: system.lagOf,
  appliedPosition: system.appliedPosition,
  progress: system.progress,
  identity,
  replays,
  eventStreams: new EventStreams(system.config.liveHeartbeatMs),
  ai: system.aiChain,
  diagramRenderer,
  dependencyHealth: async () => ({ replicas: system.readers.status(), ai: system.aiChain.health() }),
  systemHealth: () => systemHealth(system),
  autoheal,
  processInfo: { version: CHORUS_VERSION, startedAt, roles },
});

export type StartOptions = Readonly<{
  roles?: readonly Role[];
  /** Only these projections (by name), for `chorus run projector --only`. */
  only?: readonly string[];
  /** The bounded contexts to host; all of them unless a test hosts others. */
  contexts?: readonly BoundedContext[];
  /** The AI providers instead of those CHORUS_AI_PROVIDERS names (tests). */
  aiProviders?: readonly AiProvider[];
  /** Tests only: wraps each worker before it runs, to make one crash or stall on demand. */
  wrapWorker?: SystemOptions['wrapWorker'];
}>;

export async function startRoles(config: Config, logger: Logger, options: StartOptions = {}): Promise<RunningChorus> {
  const { roles = ALL_ROLES, only, contexts = allContexts, aiProviders, wrapWorker } = options;
  const startedAt = new Date();
  const system = await openSystem(config, logger, {
    roles,
    modules: contexts,
    migrations: apiMigrations,
    ...(only === undefined ? {} : { only }),
    ...(aiProviders === undefined ? {} : { aiProviders }),
    ...(wrapWorker === undefined ? {} : { wrapWorker }),
  });
  let identity: IdentityServices;
  try {
    identity = await openIdentity({ ...system, db: system.database.db, storeId: system.topology.storeId });
  } catch (error) {
    await system.close();
    throw error;
  }
  system.workers.start();
  const autoheal = new AutohealSupervisor(system.workers, system, logger, {
    intervalMs: config.autohealIntervalMs,
    stallMs: config.autohealStallMs,
    stuckAfterMs: config.stuckAfterMs,
    targets: config.autohealTargets,
    by: `${hostname()} pid ${process.pid}`,
  });
  autoheal.start();
  const sweeping = new AbortController();
  const projected = system.projections.filter((projection) => keptBy(projection, roles)).map((projection) => projection.name).filter((name) => only === undefined || only.includes(name));
  const rebuilt = rebuildOutdatedProjections(system.rebuilds, system.database.db, projected, config.rebuildOnVersionChange, logger, sweeping.signal).catch((error: unknown) =>
    logger.error({ err: error }, 'could not look for projections whose version changed'),
  );
  const swept = roles.includes('api') ? sweepIdempotencyKeysPeriodically(system.database.db, logger, sweeping.signal) : Promise.resolve();
  const replays = new BackgroundReplays(system.database.db, system.store, replayTargetsOf(system), logger);
  // One per process; its Graphviz threads start with the first check or export, so the embedded profile stays light.
  const diagramRenderer = graphvizRenderer({ renderTimeoutMs: config.diagramRenderTimeoutMs, maxQueued: config.diagramRenderQueue });
  const deps = httpDependencies(system, identity, replays, { autoheal, roles, startedAt, diagramRenderer });
  const app = createHttpApp(deps, roles.includes('api') ? contexts : []);
  const server = http.createServer(
    {
      requestTimeout: config.httpRequestTimeoutMs,
      headersTimeout: config.httpHeadersTimeoutMs,
      // Node enforces both timeouts only when it checks, every 30 s by default: a slow client would get far longer.
      connectionsCheckingInterval: Math.min(1000, config.httpHeadersTimeoutMs / 4),
    },
    app.callback(),
  );
  server.on('clientError', answerClientError);
  // Past this many open connections new ones are closed at once: slow clients cannot hold every socket.
  server.maxConnections = config.httpMaxConnections;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    await autoheal.stop();
    sweeping.abort();
    await swept;
    await rebuilt;
    await diagramRenderer.close();
    await identity.close();
    await system.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const feed = system.kafka === null ? 'the event store directly' : 'Kafka';
  // Without Kafka there is nothing to relay to: consumers read the store themselves.
  const running = roles.filter((role) => role !== 'relay' || system.kafka !== null);
  logger.info(
    { url, roles: running, data: describeDatabase(config), feed },
    `Chorus (${running.join(', ')}) is listening on ${url}; data: ${describeDatabase(config)}; consumers read ${feed}`,
  );
  if (config.databaseUrl === undefined && config.dataDir !== IN_MEMORY && roles.includes('api')) {
    // Reading anything but health needs a token: say how a first-time user gets one.
    logger.info('For an admin token: npx chorus token --sub me --role admin (or chorus users create; see the README)');
  }

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Live streams never go idle: end them (and their connections), and their clients reconnect to another instance.
      deps.eventStreams.closeAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      // Replays running here stop after their batch in hand and record that this process stopped them.
      await replays.close();
      await autoheal.stop();
      sweeping.abort();
      await swept;
      await rebuilt;
      await diagramRenderer.close();
      await identity.close();
      await system.close();
      logger.info('Chorus stopped');
    })());
  return { system, identity, url, stop };
}

/** Everything in this process: the embedded profile of `npm start`. */
export const startAll = (config: Config, logger: Logger, contexts?: readonly BoundedContext[]): Promise<RunningChorus> =>
  startRoles(config, logger, contexts === undefined ? {} : { contexts });

/** Stops gracefully on SIGTERM or SIGINT; a second signal, or the timeout, ends the process at once. */
export function stopOnSignals(running: RunningChorus, logger: Logger, timeoutMs: number): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.once('SIGTERM', () => process.exit(1));
    process.once('SIGINT', () => process.exit(1));
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
