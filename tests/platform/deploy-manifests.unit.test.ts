// The Dockerfile, the Compose file, the Kubernetes manifests and the CI workflow agree with the code: every variable
// they set is one the configuration reads (with a value it accepts), every command is one the CLI takes, every probe
// asks a path every role serves on the port it listens on, and scaling respects the topics' partitions.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIGRATE_DIRECTIONS, RUN_TARGETS } from '../../api/cli/cli-support.js';
import type { HttpDependencies } from '../../api/http/dependencies.js';
import { operationsRoutes } from '../../api/http/operations.js';
import { configurationKeys } from '../../infrastructure/config.js';
import {
  checkCommand,
  checkComposeOrder,
  checkContainer,
  checkKubernetesScaling,
  checkKustomization,
  checkPeers,
  checkWorkflow,
  composeContainers,
  effectivePort,
  kubernetesContainers,
  parseYamlDocuments,
  readDockerfile,
  type ChorusContainer,
  type CodeFacts,
  type ImageFacts,
  type Kustomization,
} from './deploy-manifest-checks.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

const facts: CodeFacts = {
  configurationKeys,
  runTargets: RUN_TARGETS,
  migrateDirections: MIGRATE_DIRECTIONS,
  // createHttpApp mounts the operations routes in every process, whatever its roles (api/main.ts). Only the route
  // table is read here: no handler runs, so no dependency is needed.
  pathsEveryRoleServes: operationsRoutes({} as HttpDependencies).filter((route) => route.method === 'get').map((route) => route.path),
  // Projections and enrichers are Kafka consumer groups; the relay has no lock against a second copy of itself.
  partitionedRoles: ['projector', 'enricher'],
  singletonRoles: ['relay'],
};

const filesUnder = (directory: string): string[] =>
  readdirSync(path.join(root, directory), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();

type K8sObject = Parameters<typeof kubernetesContainers>[0][number];

function kubernetesObjects(files: readonly string[], readFile: (file: string) => string = read): K8sObject[] {
  return files
    .filter((file) => path.basename(file) !== 'kustomization.yaml')
    .flatMap((file) => parseYamlDocuments(readFile(file)).map((object) => ({ ...(object as object), file }) as K8sObject));
}

/** The Chorus endpoints other processes reach by name: each Service that selects a Chorus workload, on its port. */
function kubernetesEndpoints(objects: readonly K8sObject[]): Map<string, number> {
  const endpoints = new Map<string, number>();
  for (const service of objects.filter((object) => object.kind === 'Service')) {
    const spec = service.spec as { selector?: Record<string, string>; ports?: { port: number }[] };
    const selects = objects.some((object) => {
      const labels = (object.spec?.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels ?? {};
      return object.kind === 'Deployment' && Object.entries(spec.selector ?? {}).every(([key, value]) => labels[key] === value);
    });
    if (selects && spec.ports?.[0] !== undefined) endpoints.set(service.metadata?.name ?? '', spec.ports[0].port);
  }
  return endpoints;
}

function checkKubernetes(objects: readonly K8sObject[]): string[] {
  const { containers, findings } = kubernetesContainers(objects);
  return [
    ...findings,
    ...containers.flatMap((container) => checkContainer(container, facts)),
    ...checkKubernetesScaling(objects, containers, facts),
    ...checkPeers(containers, kubernetesEndpoints(objects), facts),
  ];
}

function checkCompose(compose: unknown, image: ImageFacts, file = 'deploy/compose/compose.yaml'): string[] {
  const containers = composeContainers(compose, image, file);
  const endpoints = new Map(containers.map((container) => [container.where.split('services.')[1]!, effectivePort(container.env)]));
  return [...containers.flatMap((container) => checkContainer(container, facts)), ...checkComposeOrder(compose, image, file), ...checkPeers(containers, endpoints, facts)];
}

function checkImage(image: ImageFacts): string[] {
  const container: ChorusContainer = {
    where: 'Dockerfile',
    command: image.command,
    env: image.env,
    probes: image.healthcheck === null ? [] : [{ what: 'HEALTHCHECK', ...healthcheckOf(image), local: true }],
    ports: new Map(),
  };
  const findings = checkContainer(container, facts);
  if (!image.entrypointIsChorus) findings.push('Dockerfile: the entrypoint is not the chorus command');
  if (image.healthcheck === null) findings.push('Dockerfile: no HEALTHCHECK');
  if (image.user === null || image.user === 'root' || image.user === '0') findings.push('Dockerfile: runs as root');
  return findings;
}

const healthcheckOf = (image: ImageFacts) => {
  const probe = composeContainers({ services: { image: { build: '.' } } }, image, 'Dockerfile')[0]!.probes[0]!;
  return { path: probe.path, port: probe.port };
};

const dockerfile = readDockerfile(read('Dockerfile'));
const compose = parseYamlDocuments(read('deploy/compose/compose.yaml'))[0];
const kubernetesFiles = filesUnder('deploy/k8s');
const realKubernetes = kubernetesObjects(kubernetesFiles);

// ---------------------------------------------------------------- the committed files

test('given the Dockerfile, then its image runs chorus as a non-root user, with a default role, HOST and a HEALTHCHECK the code serves', (t) => {
  t.deepEqual(checkImage(dockerfile), []);
  t.deepEqual(dockerfile.command, ['run', 'api']);
  t.is(dockerfile.env.get('HOST'), '0.0.0.0');
});

test('given the Compose file, then every Chorus service uses known variables with valid values, real roles, served probes and health-gated order', (t) => {
  t.deepEqual(checkCompose(compose, dockerfile), []);
  const containers = composeContainers(compose, dockerfile, 'compose');
  const roles = containers.map((container) => container.command.join(' ')).sort();
  t.deepEqual(roles, ['migrate up', 'run api', 'run api', 'run enricher', 'run projector', 'run relay']);
});

test('given the Kubernetes manifests, then every Chorus container, probe, autoscaler and the ServiceMonitor agree with the code', (t) => {
  t.deepEqual(checkKubernetes(realKubernetes), []);
  const { containers } = kubernetesContainers(realKubernetes);
  const commands = new Set(containers.map((container) => container.command.join(' ')));
  t.deepEqual([...commands].sort(), ['migrate up', 'run api', 'run enricher', 'run projector', 'run relay']);
  t.true(containers.filter((container) => container.command[0] === 'run').every((container) => container.probes.length === 3), 'each role has startup, liveness and readiness probes');
});

test('given the kustomizations, then their patches and generators set only variables the configuration reads', (t) => {
  const kustomizations = kubernetesFiles.filter((file) => path.basename(file) === 'kustomization.yaml');
  t.true(kustomizations.includes('deploy/k8s/overlays/dev/kustomization.yaml') && kustomizations.includes('deploy/k8s/overlays/prod/kustomization.yaml'));
  t.deepEqual(kustomizations.flatMap((file) => checkKustomization(parseYamlDocuments(read(file))[0] as Kustomization, facts, file)), []);
});

test('given the CI workflow, then it runs .ci/run or npm test on Node 20 and builds the Docker image', (t) => {
  t.deepEqual(checkWorkflow(parseYamlDocuments(read('.github/workflows/ci.yml'))[0], '.github/workflows/ci.yml'), []);
});

// ---------------------------------------------------------------- files wrong on purpose

const chorusDeployment = (container: Record<string, unknown>, extra: Record<string, unknown> = {}) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: chorus-projector }
spec:
  replicas: 2
  template:
    metadata: { labels: { app: chorus-projector } }
    spec:
      containers:
        - ${JSON.stringify({ name: 'chorus', image: 'ghcr.io/example/chorus:1', ports: [{ name: 'http', containerPort: 3000 }], env: [{ name: 'HOST', value: '0.0.0.0' }], ...container })}
${Object.entries(extra).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`).join('\n')}
`;

const checkManifest = (text: string): string[] => checkKubernetes(kubernetesObjects(['wrong.yaml'], () => text));

test('given a correct manifest written here, then the checker finds nothing (the cases below differ from it by one thing)', (t) => {
  const probes = { livenessProbe: { httpGet: { path: '/health/live', port: 'http' } }, readinessProbe: { httpGet: { path: '/health/ready', port: 3000 } } };
  t.deepEqual(checkManifest(chorusDeployment({ args: ['run', 'projector'], ...probes })), []);
});

test('given a variable the configuration does not read, then the checker names it', (t) => {
  const findings = checkManifest(chorusDeployment({ args: ['run', 'api'], env: [{ name: 'HOST', value: '0.0.0.0' }, { name: 'CHORUS_WORKERS', value: '4' }] }));
  t.deepEqual(findings, ['wrong.yaml Deployment/chorus-projector/chorus: sets CHORUS_WORKERS, a variable the configuration does not read']);
});

test('given a value the schema refuses, then the checker reports the variable', (t) => {
  const findings = checkManifest(chorusDeployment({ args: ['run', 'api'], env: [{ name: 'HOST', value: '0.0.0.0' }, { name: 'KAFKA_TOPIC_PARTITIONS', value: 'six' }] }));
  t.is(findings.length, 1);
  t.regex(findings[0]!, /KAFKA_TOPIC_PARTITIONS/);
});

test('given a role or a command the CLI does not take, then the checker refuses it', (t) => {
  t.deepEqual(checkManifest(chorusDeployment({ args: ['run', 'worker'] })), [
    'wrong.yaml Deployment/chorus-projector/chorus: chorus run worker: no such role (api, relay, projector, enricher, all)',
  ]);
  t.deepEqual(checkCommand(['migrate', 'latest'], facts), ['chorus migrate latest: migrate takes up, down, status']);
  t.deepEqual(checkCommand(['run', 'api', '--only', 'feedback'], facts), ['chorus run api --only feedback: only the projector takes --only <names>']);
  t.deepEqual(checkCommand(['serve'], facts), ['chorus serve: not a command a deployment runs (run, migrate, start, supervise)']);
});

test('given probes on a path no role serves or on another port, then the checker names both', (t) => {
  const findings = checkManifest(
    chorusDeployment({ args: ['run', 'relay'], livenessProbe: { httpGet: { path: '/healthz', port: 'http' } }, readinessProbe: { httpGet: { path: '/health/ready', port: 8080 } } }, { strategy: { type: 'Recreate' } }),
  );
  t.deepEqual(findings.filter((finding) => !finding.includes('replicas')), [
    'wrong.yaml Deployment/chorus-projector/chorus: the livenessProbe asks /healthz, which Chorus does not serve',
    'wrong.yaml Deployment/chorus-projector/chorus: the readinessProbe asks port 8080, but the process listens on 3000 (PORT)',
  ]);
});

test('given probes while HOST is left to its default, then the checker says the process listens on loopback only', (t) => {
  const findings = checkManifest(chorusDeployment({ args: ['run', 'api'], env: [], livenessProbe: { httpGet: { path: '/health/live', port: 'http' } } }));
  t.deepEqual(findings, ['wrong.yaml Deployment/chorus-projector/chorus: the livenessProbe comes from outside the container, but HOST=127.0.0.1 listens on loopback only']);
});

test('given a projector autoscaler above the partition count, a second relay, and a ServiceMonitor without the metrics token, then the checker names each', (t) => {
  const hpa = `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: chorus-projector }
spec: { scaleTargetRef: { kind: Deployment, name: chorus-projector }, minReplicas: 1, maxReplicas: 12 }
`;
  t.deepEqual(checkManifest(`${chorusDeployment({ args: ['run', 'projector'] })}---${hpa}`), [
    'wrong.yaml HorizontalPodAutoscaler/chorus-projector: maxReplicas 12 for the projector, more than the 6 partitions of a topic',
  ]);
  t.deepEqual(checkManifest(chorusDeployment({ args: ['run', 'relay'] })), [
    'wrong.yaml Deployment/chorus-projector: 2 relay replicas; it must run once',
    'wrong.yaml Deployment/chorus-projector: a rolling update may run two relays at once; set maxSurge: 0',
  ]);
  const monitor = `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: { name: chorus }
spec: { endpoints: [{ port: http, path: /metrics }] }
`;
  t.deepEqual(checkManifest(`${chorusDeployment({ args: ['run', 'projector'] })}---${monitor}`), [
    'wrong.yaml ServiceMonitor/chorus: /metrics answers 401 without Authorization: Bearer <CHORUS_METRICS_TOKEN>; give the endpoint that secret',
  ]);
});

test('given envFrom a Secret, then the checker asks for secretKeyRef, since the variables it sets are in no file', (t) => {
  const findings = checkManifest(chorusDeployment({ args: ['run', 'api'], envFrom: [{ secretRef: { name: 'chorus-secrets' } }] }));
  t.deepEqual(findings, ['wrong.yaml Deployment/chorus-projector/chorus: envFrom secretRef chorus-secrets sets variables no file names; use secretKeyRef per variable']);
});

test('given an overlay patch that sets an unknown ConfigMap key, then the checker names it', (t) => {
  const kustomization = parseYamlDocuments(`
patches:
  - target: { kind: ConfigMap, name: chorus-config }
    patch: |-
      - { op: add, path: /data/LOG_FORMAT, value: json }
      - { op: replace, path: /data/LOG_LEVEL, value: debug }
`)[0] as Kustomization;
  t.deepEqual(checkKustomization(kustomization, facts, 'overlay'), ['overlay: a patch sets LOG_FORMAT in ConfigMap chorus-config, a variable the configuration does not read']);
});

test('given a Compose file with an unknown variable, a wrong role, a published port the process does not listen on, an ungated dependency and a peer on the wrong port, then the checker names each', (t) => {
  const wrong = parseYamlDocuments(`
services:
  redis: { image: redis:7 }
  api:
    image: chorus:local
    command: [run, apis]
    ports: ["127.0.0.1:8080:8080"]
    environment: { CHORUS_WORKERS: "2", CHORUS_PEERS: "http://relay:8080/health/ready" }
    depends_on: { redis: { condition: service_healthy } }
  relay:
    image: chorus:local
    command: [run, relay]
    depends_on: [redis]
`)[0];
  t.deepEqual(checkCompose(wrong, dockerfile, 'wrong'), [
    'wrong services.api: sets CHORUS_WORKERS, a variable the configuration does not read',
    'wrong services.api: chorus run apis: no such role (api, relay, projector, enricher, all)',
    'wrong services.api: port 127.0.0.1:8080:8080 is 8080, but the process listens on 3000 (PORT)',
    'wrong services.api: waits for redis to be healthy, but redis has no health check',
    'wrong services.relay: depends_on without conditions starts before redis are ready',
    'wrong services.api: CHORUS_PEERS asks relay on port 8080, but it answers on 3000',
  ]);
});

test('given a Dockerfile whose health check asks another path and that runs as root, then the checker names both', (t) => {
  const image = readDockerfile(`
FROM node:20 AS build
USER node
FROM node:20-slim
ENV HOST=0.0.0.0 PORT=3000
HEALTHCHECK CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz')"]
ENTRYPOINT ["node", "/app/bin/chorus.js"]
CMD ["run", "api"]
`);
  t.deepEqual(checkImage(image), ['Dockerfile: the HEALTHCHECK asks /healthz, which Chorus does not serve', 'Dockerfile: runs as root']);
});

test('given a workflow that neither runs the tests nor builds the image, on another Node, then the checker names each', (t) => {
  const workflow = parseYamlDocuments(`
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-node@v4
        with: { node-version: 22 }
      - run: npm run check
`)[0];
  t.deepEqual(checkWorkflow(workflow, 'ci.yml'), [
    'ci.yml: no step runs .ci/run or npm test',
    'ci.yml: no step builds the Docker image',
    "ci.yml: sets up Node 22; package.json's engines and the image use Node 20",
  ]);
});
