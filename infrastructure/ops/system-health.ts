// The command center's view: every dependency and worker of this process, and the other processes of the
// deployment (CHORUS_PEERS, their /health/ready), each with a status, the time its check took and a detail.
// Overall: down when the event store or the writer database does not answer (nothing can be written), degraded
// when anything else is unhealthy, else ok. Each check has its own deadline, so one hung dependency cannot hang
// the answer.
import { sql } from 'kysely';
import { describeError } from '../../application/kernel/describe-error.js';
import { EnricherConsumer } from '../../projections/enricher.js';
import { projectionStatus } from '../../projections/projection-status.js';
import type { System } from '../composition-root.js';

export type HealthStatus = 'ok' | 'degraded' | 'down';

export type ComponentKind = 'event-store' | 'database' | 'replica' | 'kafka' | 'redis' | 'cache' | 'projection' | 'enricher' | 'worker' | 'ai-provider' | 'peer';

export type ComponentHealth = Readonly<{ name: string; kind: ComponentKind; status: HealthStatus; latencyMs: number; detail: Readonly<Record<string, unknown>> }>;

export type SystemHealth = Readonly<{ status: HealthStatus; checkedAt: string; components: readonly ComponentHealth[] }>;

/** Components whose failure stops the system: nothing can be appended or read. */
const ESSENTIAL: readonly ComponentKind[] = ['event-store', 'database'];

const CHECK_TIMEOUT_MS = 3000;

export const overallStatus = (components: readonly ComponentHealth[]): HealthStatus =>
  components.some((component) => ESSENTIAL.includes(component.kind) && component.status !== 'ok')
    ? 'down'
    : components.some((component) => component.status !== 'ok')
      ? 'degraded'
      : 'ok';

async function timed<T>(check: () => Promise<T>, timeoutMs = CHECK_TIMEOUT_MS): Promise<{ value: T; latencyMs: number } | { error: string; latencyMs: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      check(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return { value, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { error: describeError(error), latencyMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

async function probe(name: string, kind: ComponentKind, check: () => Promise<Record<string, unknown> | void>, failed: HealthStatus, timeoutMs?: number): Promise<ComponentHealth> {
  const outcome = await timed(check, timeoutMs);
  return 'error' in outcome
    ? { name, kind, status: failed, latencyMs: outcome.latencyMs, detail: { error: outcome.error } }
    : { name, kind, status: 'ok', latencyMs: outcome.latencyMs, detail: outcome.value ?? {} };
}

export type HealthSources = Pick<System, 'config' | 'store' | 'database' | 'readers' | 'cache' | 'kafkaAdmin' | 'projections' | 'workers' | 'aiChain' | 'lagOf' | 'appliedPosition' | 'deadLetterConsumers'>;

/** Enrichers that another process runs: known here (for dead-letter retries) with what their lag needs. */
const enrichersElsewhere = (system: HealthSources): readonly EnricherConsumer[] =>
  system.deadLetterConsumers.filter((consumer): consumer is EnricherConsumer => consumer instanceof EnricherConsumer && system.workers.worker(consumer.name) === undefined);

export async function systemHealth(system: HealthSources, fetchPeer: typeof fetch = fetch): Promise<SystemHealth> {
  const { config, store, database, readers, cache, kafkaAdmin, workers, aiChain } = system;
  const states = workers.state();
  const consumers = workers.health();
  const checks: Promise<ComponentHealth | readonly ComponentHealth[]>[] = [
    probe('event-store', 'event-store', async () => {
      await store.ping();
      return { adapter: config.eventStore };
    }, 'down'),
    probe('writer', 'database', async () => {
      await sql`select 1`.execute(database.db);
      return { kind: database.kind };
    }, 'down'),
    Promise.resolve(
      readers.status().map((replica): ComponentHealth => ({
        name: replica.name,
        kind: 'replica',
        status: replica.healthy ? 'ok' : 'degraded',
        latencyMs: 0,
        detail: { lagMs: replica.lagMs, lastError: replica.lastError, checkedAt: replica.checkedAt },
      })),
    ),
    kafkaAdmin === null
      ? Promise.resolve([])
      : probe('kafka', 'kafka', () =>
          kafkaAdmin.use(async (admin) => {
            const cluster = await admin.describeCluster();
            return { brokers: cluster.brokers.length, controller: cluster.controller };
          }), 'degraded'),
    cache.ping === undefined
      ? Promise.resolve({ name: 'cache', kind: 'cache', status: 'ok', latencyMs: 0, detail: { adapter: 'memory' } } as const)
      : probe('redis', 'redis', async () => {
          await cache.ping!();
          return { adapter: 'redis' };
        }, 'degraded'),
    ...system.projections.map((projection) =>
      probe(projection.name, 'projection', async () => {
        const status = await projectionStatus(database.db, store, projection, { lagOf: system.lagOf, applied: system.appliedPosition });
        const state = states[`projection.${projection.name}`];
        const consumer = consumers[`projection.${projection.name}`];
        if (state !== undefined && state !== 'running') throw new Error(`${state}${consumer?.lastError ? `: ${consumer.lastError}` : ''} (lag ${status.lag})`);
        return { lag: status.lag, checkpoint: status.checkpoint, lastError: status.lastError, lastErrorAt: status.lastErrorAt, worker: state ?? 'not run by this process', failures: consumer?.failures ?? 0 };
      }, 'degraded'),
    ),
    ...workers
      .names()
      .filter((name) => !system.projections.some((projection) => `projection.${projection.name}` === name))
      .map((name) => {
        const worker = workers.worker(name)!;
        const kind: ComponentKind = worker.role === 'enricher' ? 'enricher' : 'worker';
        return probe(name, kind, async () => {
          const lag = worker.lag === undefined ? null : await worker.lag();
          const consumer = consumers[name];
          const state = states[name];
          if (state !== 'running') throw new Error(`${state ?? 'starting'}${consumer?.lastError ? `: ${consumer.lastError}` : ''}${lag === null ? '' : ` (lag ${lag})`}`);
          return { role: worker.role ?? null, lag, failures: consumer?.failures ?? 0, lastError: consumer?.lastError ?? null, lastProgressAt: consumer?.lastProgressAt ?? null };
        }, 'degraded');
      }),
    ...enrichersElsewhere(system).map((enricher) =>
      probe(enricher.name, 'enricher', async () => ({ lag: (await system.lagOf(enricher)).events, worker: 'not run by this process' }), 'degraded'),
    ),
    Promise.resolve(
      aiChain.health().map((provider): ComponentHealth => ({
        name: provider.name,
        kind: 'ai-provider',
        status: provider.circuit === 'closed' ? 'ok' : 'degraded',
        latencyMs: 0,
        detail: { circuit: provider.circuit, calls: provider.calls, failures: provider.failures, lastError: provider.lastError, lastErrorAt: provider.lastErrorAt, lastSuccessAt: provider.lastSuccessAt },
      })),
    ),
    ...config.peers.map((url) => peerHealth(url, config.peerTimeoutMs, fetchPeer)),
  ];
  const components = (await Promise.all(checks)).flat();
  return { status: overallStatus(components), checkedAt: new Date().toISOString(), components };
}

/** Another process's /health/ready: 200 is ok; 503, another answer, or none within the timeout is degraded. */
async function peerHealth(url: string, timeoutMs: number, fetchPeer: typeof fetch): Promise<ComponentHealth> {
  const name = new URL(url).host;
  const outcome = await timed(async () => {
    const response = await fetchPeer(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    const body: unknown = await response.json().catch(() => null);
    return { httpStatus: response.status, body };
  }, timeoutMs + 500);
  if ('error' in outcome) return { name, kind: 'peer', status: 'degraded', latencyMs: outcome.latencyMs, detail: { url, error: `unreachable: ${outcome.error}` } };
  const { httpStatus, body } = outcome.value;
  const checks = typeof body === 'object' && body !== null && 'checks' in body ? (body as { checks: unknown }).checks : null;
  return { name, kind: 'peer', status: httpStatus === 200 ? 'ok' : 'degraded', latencyMs: outcome.latencyMs, detail: { url, httpStatus, checks } };
}
