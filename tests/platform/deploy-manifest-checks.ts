// Checks the deployment files (Dockerfile, Compose, Kubernetes, the CI workflow) against what the code really does:
// the variables the configuration schema reads, the roles and commands the CLI takes, the paths every role serves
// on PORT, the topic partition count. Each check returns findings (empty: agreed), so tests can feed it files that
// are wrong on purpose and see the finding.
import { parseAllDocuments } from 'yaml';
import { ConfigError, loadConfig } from '../../infrastructure/config.js';

/** What the code says, gathered by the caller from the modules themselves. */
export type CodeFacts = Readonly<{
  configurationKeys: readonly string[];
  runTargets: readonly string[];
  migrateDirections: readonly string[];
  /** The GET paths every process serves on PORT, whatever its role. */
  pathsEveryRoleServes: readonly string[];
  /** Roles whose workers consume Kafka partitions (one consumer group each): at most one replica per partition. */
  partitionedRoles: readonly string[];
  /** Roles that must never run twice at once. */
  singletonRoles: readonly string[];
}>;

type Env = ReadonlyMap<string, string | null>;

/** One Chorus process a file describes: where, its command, its environment (null: a value not in the files), its probes. */
export type ChorusContainer = Readonly<{
  where: string;
  command: readonly string[];
  env: Env;
  /** Probes from outside the container (kubelet, other services); in-container health checks are `local`. */
  probes: readonly Readonly<{ what: string; path: string | null; port: number | string | null; local: boolean }>[];
  ports: ReadonlyMap<string, number>;
}>;

export type ImageFacts = Readonly<{
  env: Env;
  command: readonly string[];
  entrypointIsChorus: boolean;
  healthcheck: string | null;
  user: string | null;
}>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

// ---------------------------------------------------------------- Dockerfile

/** The final stage's ENV, CMD, ENTRYPOINT, HEALTHCHECK and USER. */
export function readDockerfile(text: string): ImageFacts {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const lastFrom = instructions.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true);
  const env = new Map<string, string | null>();
  let command: string[] = [];
  let entrypoint: string[] = [];
  let healthcheck: string | null = null;
  let user: string | null = null;
  for (const line of instructions.slice(lastFrom + 1)) {
    const [, keyword = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (keyword.toUpperCase()) {
      case 'ENV':
        for (const [, key, quoted, bare] of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S*))/g)) env.set(key!, quoted ?? bare ?? '');
        break;
      case 'CMD':
        command = JSON.parse(rest) as string[];
        break;
      case 'ENTRYPOINT':
        entrypoint = JSON.parse(rest) as string[];
        break;
      case 'HEALTHCHECK':
        healthcheck = rest;
        break;
      case 'USER':
        user = rest;
        break;
    }
  }
  return { env, command, entrypointIsChorus: entrypoint.some((part) => /(^|\/)chorus(\.js)?$/.test(part)), healthcheck, user };
}

// ---------------------------------------------------------------- Compose

type ComposeService = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | { target?: number })[];
};

export const parseYamlDocuments = (text: string): unknown[] =>
  parseAllDocuments(text, { merge: true }).map((document) => {
    if (document.errors.length > 0) throw document.errors[0];
    return document.toJS() as unknown;
  });

/** `${VAR:-default}` reads as its default, `${VAR}` and `${VAR:?message}` as unknown (null). */
function interpolate(value: string): string | null {
  let unknown = false;
  const result = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*)|(:?\?)[^}]*)?\}/g, (_match, _name, dash, fallback) => {
    if (dash !== undefined) return String(fallback);
    unknown = true;
    return '';
  });
  return unknown ? null : result.replace(/\$\$/g, '$');
}

/** The image, by its registry name (`…/chorus:tag`) or a kustomize image name the overlays replace (`chorus`, `chorus-api`). */
const isChorusImage = (image: string | undefined): boolean => image !== undefined && /(^|\/)chorus(-api)?(:|$)/.test(image.replace(/^\$\{[^}]*:-([^}]*)\}$/, '$1'));

export function composeContainers(compose: unknown, image: ImageFacts, file: string): ChorusContainer[] {
  const services = ((compose as { services?: Record<string, ComposeService> }).services ?? {}) as Record<string, ComposeService>;
  return Object.entries(services)
    .filter(([, service]) => service.build !== undefined || isChorusImage(service.image))
    .map(([name, service]) => {
      const env = new Map(image.env);
      const environment = service.environment ?? {};
      const pairs = Array.isArray(environment)
        ? environment.map((entry) => [entry.split('=')[0]!, entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : null] as const)
        : Object.entries(environment).map(([key, value]) => [key, value === null ? null : String(value)] as const);
      for (const [key, value] of pairs) env.set(key, value === null ? null : interpolate(value));
      const command = service.command === undefined ? image.command : Array.isArray(service.command) ? service.command : service.command.split(/\s+/);
      const test = service.healthcheck?.disable === true ? null : service.healthcheck?.test ?? image.healthcheck;
      const probes = test === null || test === undefined ? [] : [{ what: 'healthcheck', ...healthcheckTarget(Array.isArray(test) ? test.join(' ') : test, env), local: true }];
      // Published ports: the container's side (the last number of "host:published:container") must be PORT.
      const ports = new Map((service.ports ?? []).map((port) => [String(typeof port === 'string' ? port : port.target), Number(typeof port === 'string' ? port.split(':').at(-1) : port.target)]));
      return { where: `${file} services.${name}`, command, env, probes, ports };
    });
}

/** The path and port a health-check command asks: a literal URL, or one built from process.env.PORT. */
export function healthcheckTarget(command: string, env: Env): { path: string | null; port: number | string | null } {
  const url = /https?:\/\/[^/\s'"]+?(?::(\d+))?(\/[A-Za-z0-9/_.-]*)/.exec(command);
  const quotedPath = /'(\/[A-Za-z0-9/_.-]+)'/.exec(command);
  const path = url?.[2] ?? quotedPath?.[1] ?? null;
  if (url?.[1] !== undefined) return { path, port: Number(url[1]) };
  if (/process\.env\.PORT/.test(command)) return { path, port: effectivePort(env) };
  return { path, port: null };
}

/** Every Compose service's dependencies are health-gated, on services that can become healthy. */
export function checkComposeOrder(compose: unknown, image: ImageFacts, file: string): string[] {
  const services = ((compose as { services?: Record<string, ComposeService> }).services ?? {}) as Record<string, ComposeService>;
  const findings: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    const dependsOn = service.depends_on ?? {};
    if (Array.isArray(dependsOn)) {
      if (dependsOn.length > 0) findings.push(`${file} services.${name}: depends_on without conditions starts before ${dependsOn.join(', ')} are ready`);
      continue;
    }
    for (const [dependency, { condition }] of Object.entries(dependsOn)) {
      const target = services[dependency];
      if (target === undefined) {
        findings.push(`${file} services.${name}: depends on ${dependency}, which is no service`);
      } else if (condition === 'service_healthy') {
        const hasCheck = target.healthcheck?.disable !== true && (target.healthcheck?.test !== undefined || ((target.build !== undefined || isChorusImage(target.image)) && image.healthcheck !== null));
        if (!hasCheck) findings.push(`${file} services.${name}: waits for ${dependency} to be healthy, but ${dependency} has no health check`);
      } else if (condition !== 'service_completed_successfully') {
        findings.push(`${file} services.${name}: depends on ${dependency} without a health or completion condition`);
      }
    }
  }
  return findings;
}

// ---------------------------------------------------------------- Kubernetes

type K8sObject = { apiVersion?: string; kind?: string; metadata?: { name?: string; labels?: Record<string, string> }; spec?: Record<string, unknown>; data?: Record<string, string> };
type K8sContainer = {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
};
type Probe = { httpGet?: { path?: string; port?: number | string } };
type PodSpec = { containers?: K8sContainer[]; initContainers?: K8sContainer[] };

const podSpecOf = (object: K8sObject): PodSpec | undefined => {
  if (object.kind === 'CronJob') return ((object.spec?.jobTemplate as { spec?: { template?: { spec?: PodSpec } } } | undefined)?.spec?.template?.spec);
  return (object.spec?.template as { spec?: PodSpec } | undefined)?.spec;
};

export type Kustomization = { patches?: { target?: { kind?: string; name?: string }; patch?: string }[]; configMapGenerator?: { name?: string; literals?: string[] }[] };

/** Chorus containers of workloads, with their environment (ConfigMaps resolved; Secret values unknown). */
export function kubernetesContainers(objects: readonly (K8sObject & { file: string })[]): { containers: ChorusContainer[]; findings: string[] } {
  const configMaps = new Map(objects.filter((object) => object.kind === 'ConfigMap').map((object) => [object.metadata?.name ?? '', object.data ?? {}]));
  const findings: string[] = [];
  const containers: ChorusContainer[] = [];
  for (const object of objects) {
    const pod = podSpecOf(object);
    if (pod === undefined) continue;
    for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      if (!isChorusImage(container.image)) continue;
      const where = `${object.file} ${object.kind}/${object.metadata?.name}/${container.name}`;
      const env = new Map<string, string | null>();
      for (const source of container.envFrom ?? []) {
        if (source.secretRef !== undefined) findings.push(`${where}: envFrom secretRef ${source.secretRef.name} sets variables no file names; use secretKeyRef per variable`);
        if (source.configMapRef !== undefined) {
          const data = configMaps.get(source.configMapRef.name);
          if (data === undefined) findings.push(`${where}: envFrom names ConfigMap ${source.configMapRef.name}, which no manifest defines`);
          for (const [key, value] of Object.entries(data ?? {})) env.set(key, String(value));
        }
      }
      for (const variable of container.env ?? []) env.set(variable.name, variable.value ?? null);
      const ports = new Map((container.ports ?? []).map((port) => [port.name ?? String(port.containerPort), port.containerPort]));
      const probes = (['livenessProbe', 'readinessProbe', 'startupProbe'] as const)
        .filter((kind) => container[kind] !== undefined)
        .map((kind) => ({ what: kind, path: container[kind]!.httpGet?.path ?? null, port: container[kind]!.httpGet?.port ?? null, local: false }));
      const command = container.command !== undefined ? [...container.command, ...(container.args ?? [])] : (container.args ?? []);
      containers.push({ where, command, env, probes, ports });
    }
  }
  return { containers, findings };
}

/** Overlay patches and generators may set ConfigMap keys too. */
export function checkKustomization(kustomization: Kustomization, facts: CodeFacts, file: string): string[] {
  const known = new Set(facts.configurationKeys);
  const findings: string[] = [];
  for (const patch of kustomization.patches ?? []) {
    if (patch.target?.kind !== 'ConfigMap' || patch.patch === undefined) continue;
    for (const operation of parseYamlDocuments(patch.patch).flat() as { path?: string }[]) {
      const key = /^\/data\/(.+)$/.exec(operation.path ?? '')?.[1];
      if (key !== undefined && !known.has(key)) findings.push(`${file}: a patch sets ${key} in ConfigMap ${patch.target.name}, a variable the configuration does not read`);
    }
  }
  for (const generator of kustomization.configMapGenerator ?? []) {
    for (const literal of generator.literals ?? []) {
      const key = literal.split('=')[0]!;
      if (!known.has(key)) findings.push(`${file}: configMapGenerator ${generator.name} sets ${key}, a variable the configuration does not read`);
    }
  }
  return findings;
}

const roleOf = (container: ChorusContainer): string | null => (container.command[0] === 'run' ? (container.command[1] ?? null) : null);

/** Autoscalers and replica counts against the partitions and the singleton roles; the ServiceMonitor against /metrics. */
export function checkKubernetesScaling(objects: readonly (K8sObject & { file: string })[], containers: readonly ChorusContainer[], facts: CodeFacts): string[] {
  const findings: string[] = [];
  const workloads = new Map<string, string | null>();
  for (const object of objects) {
    if (object.kind !== 'Deployment' && object.kind !== 'StatefulSet') continue;
    const container = containers.find((candidate) => candidate.where.startsWith(`${object.file} ${object.kind}/${object.metadata?.name}/`));
    if (container !== undefined) workloads.set(object.metadata?.name ?? '', roleOf(container));
  }
  const partitionsOf = (name: string): number => {
    const container = containers.find((candidate) => candidate.where.includes(`/${name}/`));
    const value = container?.env.get('KAFKA_TOPIC_PARTITIONS');
    return value === undefined || value === null ? loadConfig({}).kafkaTopicPartitions : Number(value);
  };
  for (const object of objects) {
    const where = `${object.file} ${object.kind}/${object.metadata?.name}`;
    if (object.kind === 'Deployment' || object.kind === 'StatefulSet') {
      const role = workloads.get(object.metadata?.name ?? '');
      const replicas = object.spec?.replicas as number | undefined;
      if (role === undefined || role === null) continue;
      if (facts.partitionedRoles.includes(role) && replicas !== undefined && replicas > partitionsOf(object.metadata?.name ?? '')) {
        findings.push(`${where}: ${replicas} ${role} replicas, more than the ${partitionsOf(object.metadata?.name ?? '')} partitions of a topic: the rest would sit idle`);
      }
      if (facts.singletonRoles.includes(role)) {
        if (replicas !== undefined && replicas > 1) findings.push(`${where}: ${replicas} ${role} replicas; it must run once`);
        const rolling = (object.spec?.strategy as { type?: string; rollingUpdate?: { maxSurge?: number | string } } | undefined) ?? {};
        if (rolling.type !== 'Recreate' && String(rolling.rollingUpdate?.maxSurge ?? '25%') !== '0') findings.push(`${where}: a rolling update may run two ${role}s at once; set maxSurge: 0`);
      }
    }
    if (object.kind === 'HorizontalPodAutoscaler') {
      const target = (object.spec?.scaleTargetRef as { name?: string } | undefined)?.name ?? '';
      const role = workloads.get(target);
      if (role === undefined) {
        findings.push(`${where}: scales ${target}, which is no Chorus workload`);
        continue;
      }
      const max = object.spec?.maxReplicas as number;
      if (role !== null && facts.partitionedRoles.includes(role) && max > partitionsOf(target)) {
        findings.push(`${where}: maxReplicas ${max} for the ${role}, more than the ${partitionsOf(target)} partitions of a topic`);
      }
      if (role !== null && facts.singletonRoles.includes(role)) findings.push(`${where}: autoscales the ${role}, which must run once`);
    }
    if (object.kind === 'ServiceMonitor') {
      type Endpoint = { path?: string; port?: string; bearerTokenSecret?: { name: string; key: string }; authorization?: { credentials?: { name: string; key: string } } };
      for (const endpoint of (object.spec?.endpoints as Endpoint[] | undefined) ?? []) {
        if (!facts.pathsEveryRoleServes.includes(endpoint.path ?? '/metrics')) findings.push(`${where}: scrapes ${endpoint.path}, which Chorus does not serve`);
        const secret = endpoint.authorization?.credentials ?? endpoint.bearerTokenSecret;
        // The processes that serve /metrics: the roles (a migration serves nothing).
        const token = containers.filter((container) => container.command[0] !== 'migrate').every((container) => container.env.has('CHORUS_METRICS_TOKEN'));
        if (secret === undefined) findings.push(`${where}: /metrics answers 401 without Authorization: Bearer <CHORUS_METRICS_TOKEN>; give the endpoint that secret`);
        else if (!token) findings.push(`${where}: sends a bearer token, but not every Chorus role sets CHORUS_METRICS_TOKEN`);
      }
    }
  }
  return findings;
}

// ---------------------------------------------------------------- every container

export function effectivePort(env: Env): number | string {
  const value = env.get('PORT');
  if (value === null) return 'PORT (from a Secret)';
  return value === undefined ? loadConfig({}).port : Number(value);
}

function effectiveHost(env: Env): string | null {
  const value = env.get('HOST');
  return value === undefined ? loadConfig({}).host : value;
}

export function checkContainer(container: ChorusContainer, facts: CodeFacts): string[] {
  const { where, command, env } = container;
  const findings: string[] = [];
  const known = new Set(facts.configurationKeys);
  for (const key of env.keys()) if (!known.has(key)) findings.push(`${where}: sets ${key}, a variable the configuration does not read`);
  // The values the files give must pass the schema (values from Secrets are not in the files).
  const given = Object.fromEntries([...env].filter((entry): entry is [string, string] => entry[1] !== null && known.has(entry[0])));
  try {
    loadConfig(given);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    findings.push(`${where}: ${error.message.replace(/\n\s*/g, ' ')}`);
  }
  findings.push(...checkCommand(command, facts).map((finding) => `${where}: ${finding}`));
  const port = effectivePort(env);
  const host = effectiveHost(env);
  for (const probe of container.probes) {
    if (probe.path === null || !facts.pathsEveryRoleServes.includes(probe.path)) findings.push(`${where}: the ${probe.what} asks ${probe.path ?? 'no HTTP path'}, which Chorus does not serve`);
    const probePort = typeof probe.port === 'string' && container.ports.has(probe.port) ? container.ports.get(probe.port)! : probe.port;
    if (probePort !== port) findings.push(`${where}: the ${probe.what} asks port ${probe.port}, but the process listens on ${port} (PORT)`);
    if (!probe.local && host !== null && LOOPBACK.has(host)) findings.push(`${where}: the ${probe.what} comes from outside the container, but HOST=${host} listens on loopback only`);
  }
  for (const [name, containerPort] of container.ports) {
    if (containerPort !== port) findings.push(`${where}: port ${name} is ${containerPort}, but the process listens on ${port} (PORT)`);
  }
  return findings;
}

export function checkCommand(command: readonly string[], facts: CodeFacts): string[] {
  const [verb, argument, ...rest] = command;
  switch (verb) {
    case 'run': {
      if (argument === undefined || !facts.runTargets.includes(argument)) return [`chorus run ${argument ?? ''}: no such role (${facts.runTargets.join(', ')})`];
      if (rest.length === 0) return [];
      return rest[0] === '--only' && argument === 'projector' && rest.length === 2 ? [] : [`chorus ${command.join(' ')}: only the projector takes --only <names>`];
    }
    case 'migrate':
      return argument !== undefined && facts.migrateDirections.includes(argument) && rest.length === 0 ? [] : [`chorus ${command.join(' ')}: migrate takes ${facts.migrateDirections.join(', ')}`];
    case 'start':
    case 'supervise':
      return argument === undefined ? [] : [`chorus ${command.join(' ')}: ${verb} takes no argument`];
    default:
      return [`chorus ${command.join(' ')}: not a command a deployment runs (run, migrate, start, supervise)`];
  }
}

/** Each URL in CHORUS_PEERS names a Chorus process by its service name, on the port it listens on, at a served path. */
export function checkPeers(containers: readonly ChorusContainer[], endpoints: ReadonlyMap<string, number | string>, facts: CodeFacts): string[] {
  const findings: string[] = [];
  for (const container of containers) {
    for (const url of (container.env.get('CHORUS_PEERS') ?? '').split(',').filter((entry) => entry !== '')) {
      const parsed = new URL(url);
      const port = parsed.port === '' ? 80 : Number(parsed.port);
      const expected = endpoints.get(parsed.hostname);
      if (expected === undefined) findings.push(`${container.where}: CHORUS_PEERS names ${parsed.hostname}, which is no Chorus service`);
      else if (expected !== port) findings.push(`${container.where}: CHORUS_PEERS asks ${parsed.hostname} on port ${port}, but it answers on ${expected}`);
      if (!facts.pathsEveryRoleServes.includes(parsed.pathname)) findings.push(`${container.where}: CHORUS_PEERS asks ${parsed.pathname}, which Chorus does not serve`);
    }
  }
  return findings;
}

// ---------------------------------------------------------------- CI workflow

type Workflow = { jobs?: Record<string, { 'runs-on'?: string; steps?: { run?: string; uses?: string; with?: Record<string, unknown> }[] }> };

export function checkWorkflow(workflow: unknown, file: string): string[] {
  const jobs = Object.entries((workflow as Workflow).jobs ?? {});
  const steps = jobs.flatMap(([, job]) => job.steps ?? []);
  const findings: string[] = [];
  if (!steps.some((step) => /(^|\s|\/)\.ci\/run(\s|$)/m.test(step.run ?? '') || /(^|\s)npm test(\s|$)/m.test(step.run ?? ''))) {
    findings.push(`${file}: no step runs .ci/run or npm test`);
  }
  if (!steps.some((step) => /(^|\s)docker (buildx )?build\s/m.test(step.run ?? '') || (step.uses ?? '').startsWith('docker/build-push-action@'))) {
    findings.push(`${file}: no step builds the Docker image`);
  }
  const nodeVersions = steps.filter((step) => (step.uses ?? '').startsWith('actions/setup-node@')).map((step) => String(step.with?.['node-version'] ?? ''));
  for (const version of nodeVersions) if (!/^20(\.|$)/.test(version)) findings.push(`${file}: sets up Node ${version}; package.json's engines and the image use Node 20`);
  return findings;
}
