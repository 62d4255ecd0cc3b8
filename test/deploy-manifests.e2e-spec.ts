import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  K8sObject,
  ManifestDoc,
  envExampleKeys,
  parseYamlFile,
  schemaErrors,
  selects,
  strictFieldErrors,
  where,
} from './utils/manifests';

/**
 * deploy/k8s, offline: every document parses and is valid against the Kubernetes schemas (plus a
 * strict check for fields its kind does not define), and the design holds: 3 replicas, the three
 * probes on the right paths, a preStop pause and a grace period that covers it and the app's own
 * shutdown, a disruption budget and a Service that select exactly the app's pods, and settings
 * that exist where the pods read them and that the app knows.
 */

const ROOT = join(__dirname, '..');
const DIR = join(ROOT, 'deploy', 'k8s');
const KUSTOMIZATION = 'kustomization.yaml';

const yamlFiles = readdirSync(DIR)
  .filter((name) => /\.ya?ml$/.test(name) && name !== KUSTOMIZATION)
  .sort();
const docs: ManifestDoc[] = yamlFiles.flatMap((file) => parseYamlFile(join(DIR, file), file));

function only(kind: string): K8sObject {
  const found = docs.filter((doc) => doc.object.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0].object;
}

const deployment = only('Deployment');
const job = only('Job');
const configMap = only('ConfigMap');
const secret = only('Secret');
const service = only('Service');
const pdb = only('PodDisruptionBudget');
const pod = deployment.spec.template.spec;
const app = pod.containers.find((c: { name: string }) => c.name === 'app') ?? pod.containers[0];
/** Every container of every pod template: the Deployment's and the Job's, init containers too. */
const allContainers: { owner: string; container: any }[] = [deployment, job].flatMap((o) =>
  [...(o.spec.template.spec.initContainers ?? []), ...o.spec.template.spec.containers].map(
    (container) => ({ owner: `${o.kind} ${o.metadata.name}`, container }),
  ),
);

const configValue = (key: string, fallback: string): string => configMap.data?.[key] ?? fallback;
const secretKeys = (s: K8sObject): string[] => [
  ...Object.keys(s.data ?? {}),
  ...Object.keys(s.stringData ?? {}),
];

/** A probe's or Service's port (number or container port name) as a number. */
function containerPort(port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return app.ports?.find((p: { name?: string }) => p.name === port)?.containerPort;
}

describe('deploy/k8s manifests', () => {
  test('kustomization.yaml lists every manifest of the folder, and nothing else', () => {
    const kustomization = parse(readFileSync(join(DIR, KUSTOMIZATION), 'utf8'));
    expect(kustomization).toMatchObject({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
    });
    expect([...kustomization.resources].sort()).toEqual(yamlFiles);
  });

  test('every document parses, says what it is and names itself, in no namespace', () => {
    expect(docs.length).toBeGreaterThanOrEqual(6);
    for (const doc of docs) {
      expect({ at: where(doc), apiVersion: typeof doc.object.apiVersion }).toEqual({
        at: where(doc),
        apiVersion: 'string',
      });
      expect(doc.object.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      // The namespace is the applier's choice (kubectl -n, or kustomization's namespace:).
      expect({ at: where(doc), namespace: doc.object.metadata.namespace }).toEqual({
        at: where(doc),
        namespace: undefined,
      });
    }
  });

  test('every document is valid against the Kubernetes schema of its kind', async () => {
    const problems: string[] = [];
    for (const doc of docs)
      for (const error of await schemaErrors(doc.object)) problems.push(`${where(doc)}: ${error}`);
    expect(problems).toEqual([]);
  });

  test('no document has a field its kind does not define, nor a value of the wrong type', () => {
    const problems = [...strictFieldErrors(docs)].flatMap(([doc, errors]) =>
      errors.map((error) => `${where(doc)}: ${error}`),
    );
    expect(problems).toEqual([]);
  });

  test('the checks do catch a broken manifest', async () => {
    // Small valid objects of their own, so that this test says nothing about deploy/k8s.
    const valid = (): K8sObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'probe' },
      spec: {
        selector: { matchLabels: { app: 'probe' } },
        template: {
          metadata: { labels: { app: 'probe' } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'probe:1',
                resources: { limits: { cpu: '1', memory: '64Mi' } },
                readinessProbe: { httpGet: { path: '/health/ready', port: 8080 } },
              },
            ],
          },
        },
      },
    });
    const containerOf = (o: K8sObject) => o.spec.template.spec.containers[0];
    expect(await schemaErrors(valid())).toEqual([]);
    const brokenType = valid();
    brokenType.spec.replicas = 'three';
    expect((await schemaErrors(brokenType)).join()).toContain('/spec/replicas must be integer');
    const noName = valid();
    delete containerOf(noName).name;
    expect((await schemaErrors(noName)).join()).toContain('must have required property name');
    const badQuantity = valid();
    containerOf(badQuantity).resources.limits.memory = '64MB';
    expect((await schemaErrors(badQuantity)).join()).toContain('limits/memory');
    const unknownKind = { ...valid(), kind: 'Deploymnet' };
    expect((await schemaErrors(unknownKind)).join()).toContain('no Kubernetes schema');

    // A typo is no schema error (unknown fields are allowed there), but the strict check sees it.
    const typo = valid();
    containerOf(typo).readinesProbe = containerOf(typo).readinessProbe;
    delete containerOf(typo).readinessProbe;
    expect(await schemaErrors(typo)).toEqual([]);
    const numberInConfigMap: K8sObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'probe' },
      data: { APP_PORT: 8080 },
    };
    const checked = [valid(), typo, numberInConfigMap].map((object, index) => ({
      file: 'self-test',
      index,
      object,
    }));
    const [validErrors, typoErrors, numberErrors] = [...strictFieldErrors(checked).values()];
    expect(validErrors).toEqual([]);
    expect(typoErrors.join()).toContain('\'"readinesProbe"\' does not exist');
    expect(numberErrors.join()).toContain("Type 'number' is not assignable to type 'string'");
  });

  describe('the Deployment', () => {
    test('runs 3 replicas of `node dist/main.js`, its selector matching its own pods', () => {
      expect(deployment.spec.replicas).toBe(3);
      expect(app.command).toEqual(['node', 'dist/main.js']);
      expect(selects(deployment.spec.selector, deployment.spec.template.metadata.labels)).toBe(
        true,
      );
      // Never fewer than the 3 serving during a roll-out.
      expect(deployment.spec.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    });

    test('sets WORKERS from its own CPU limit (the downward API), which it sets', () => {
      const workers = app.env.find((e: { name: string }) => e.name === 'WORKERS');
      expect(workers.valueFrom.resourceFieldRef).toMatchObject({ resource: 'limits.cpu' });
      expect([undefined, app.name]).toContain(workers.valueFrom.resourceFieldRef.containerName);
      // Without a limit the downward API gives the node's allocatable CPUs.
      expect(app.resources.limits.cpu).toBeDefined();
    });

    test('probes: startup and readiness on /health/ready, liveness on /health/live', () => {
      const appPort = Number(configValue('APP_PORT', '8080'));
      for (const [probe, path] of [
        ['startupProbe', '/health/ready'],
        ['readinessProbe', '/health/ready'],
        ['livenessProbe', '/health/live'],
      ]) {
        expect({ probe, path: app[probe]?.httpGet?.path }).toEqual({ probe, path });
        expect({ probe, port: containerPort(app[probe].httpGet.port) }).toEqual({
          probe,
          port: appPort,
        });
      }
      // The port opens only after the dataset is loaded: minutes on a fresh database.
      const startup = app.startupProbe;
      expect(
        (startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3),
      ).toBeGreaterThanOrEqual(300);
      // /health/ready gives MySQL and Redis 1 s each.
      expect(app.readinessProbe.timeoutSeconds ?? 1).toBeGreaterThanOrEqual(3);
    });

    test('shutdown: a preStop pause, then a grace period covering SHUTDOWN_TIMEOUT_MS', () => {
      const preStop = app.lifecycle?.preStop;
      expect(preStop?.exec?.command).toEqual(['sleep', expect.stringMatching(/^\d+$/)]);
      const pause = Number(preStop.exec.command[1]);
      expect(pause).toBeGreaterThanOrEqual(5);
      const shutdown = Number(configValue('SHUTDOWN_TIMEOUT_MS', '15000')) / 1000;
      const grace = pod.terminationGracePeriodSeconds;
      expect(grace).toBeGreaterThan(20);
      expect(grace).toBeGreaterThan(pause + shutdown);
    });

    test("its pods ask to be scraped at GET /metrics on the app's port, logging JSON", () => {
      const annotations = deployment.spec.template.metadata.annotations ?? {};
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(annotations['prometheus.io/path']).toBe('/metrics');
      const port = app.ports.find((p: { name: string }) => p.name === 'http').containerPort;
      expect(annotations['prometheus.io/port']).toBe(String(port));
      expect(configValue('LOG_FORMAT', 'pretty')).toBe('json');
    });

    test('no service links: a Service named redis would set REDIS_PORT=tcp://...', () => {
      expect(pod.enableServiceLinks).toBe(false);
      expect(job.spec.template.spec.enableServiceLinks).toBe(false);
    });
  });

  test('every container has requests and limits and runs as non-root, read-only', () => {
    for (const { owner, container } of allContainers) {
      const at = `${owner}/${container.name}`;
      for (const kind of ['requests', 'limits'])
        for (const resource of ['cpu', 'memory'])
          expect({
            at,
            kind,
            resource,
            set: container.resources?.[kind]?.[resource] !== undefined,
          }).toEqual({
            at,
            kind,
            resource,
            set: true,
          });
      expect({ at, ...container.securityContext }).toMatchObject({
        at,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
    }
    for (const o of [deployment, job])
      expect(o.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
  });

  test("the PodDisruptionBudget keeps 2 of the Deployment's pods, and only those", () => {
    expect(pdb.spec.minAvailable).toBe(2);
    expect(Object.keys(pdb.spec.selector.matchLabels ?? {}).length).toBeGreaterThan(0);
    expect(selects(pdb.spec.selector, deployment.spec.template.metadata.labels)).toBe(true);
    expect(selects(pdb.spec.selector, job.spec.template.metadata.labels)).toBe(false);
  });

  test("the Service sends port 80 to the app's 8080, on the Deployment's pods only", () => {
    expect(service.spec.ports).toHaveLength(1);
    const [port] = service.spec.ports;
    expect(port.port).toBe(80);
    expect(containerPort(port.targetPort ?? port.port)).toBe(8080);
    expect(configValue('APP_PORT', '8080')).toBe('8080');
    expect(Object.keys(service.spec.selector ?? {}).length).toBeGreaterThan(0);
    const selector = { matchLabels: service.spec.selector };
    expect(selects(selector, deployment.spec.template.metadata.labels)).toBe(true);
    expect(selects(selector, job.spec.template.metadata.labels)).toBe(false);
  });

  test('every variable a pod reads from a ConfigMap or Secret is there', () => {
    const sources: Record<string, Map<string, string[]>> = {
      configMap: new Map(
        docs
          .filter((d) => d.object.kind === 'ConfigMap')
          .map((d) => [d.object.metadata.name, Object.keys(d.object.data ?? {})]),
      ),
      secret: new Map(
        docs
          .filter((d) => d.object.kind === 'Secret')
          .map((d) => [d.object.metadata.name, secretKeys(d.object)]),
      ),
    };
    const problems: string[] = [];
    for (const { owner, container } of allContainers) {
      const at = `${owner}/${container.name}`;
      for (const from of container.envFrom ?? []) {
        const [kind, ref] = from.configMapRef
          ? ['configMap', from.configMapRef]
          : ['secret', from.secretRef];
        if (!sources[kind].has(ref.name)) problems.push(`${at}: envFrom ${kind} ${ref.name}`);
      }
      for (const variable of container.env ?? []) {
        const source = variable.valueFrom ?? {};
        const [kind, ref] = source.configMapKeyRef
          ? ['configMap', source.configMapKeyRef]
          : source.secretKeyRef
            ? ['secret', source.secretKeyRef]
            : [];
        if (kind && !sources[kind].get(ref.name)?.includes(ref.key))
          problems.push(`${at}: ${variable.name} from ${kind} ${ref.name} key ${ref.key}`);
      }
    }
    expect(problems).toEqual([]);
    // TOKEN_SECRET and DB_PASS come from the Secret, not from a ConfigMap or a literal.
    for (const { owner, container } of allContainers)
      for (const name of ['TOKEN_SECRET', 'DB_PASS'])
        expect({
          at: `${owner}/${container.name}`,
          name,
          secret: container.env?.find((e: { name: string }) => e.name === name)?.valueFrom
            ?.secretKeyRef?.name,
        }).toEqual({ at: `${owner}/${container.name}`, name, secret: secret.metadata.name });
  });

  test('every setting in the ConfigMap and in env is one the app knows (.env.example)', () => {
    const known = envExampleKeys();
    expect(known.size).toBeGreaterThan(20);
    const configKeys = Object.keys(configMap.data ?? {});
    expect(configKeys.filter((key) => !known.has(key))).toEqual([]);
    for (const { owner, container } of allContainers) {
      const names: string[] = (container.env ?? []).map((e: { name: string }) => e.name);
      const at = `${owner}/${container.name}`;
      expect({ at, unknown: names.filter((name) => !known.has(name)) }).toEqual({
        at,
        unknown: [],
      });
      // One place for each setting: env would silently override the ConfigMap's value.
      expect({ at, twice: names.filter((name) => configKeys.includes(name)) }).toEqual({
        at,
        twice: [],
      });
    }
    expect(configMap.data.NODE_ENV).toBe('production');
  });

  test('the Secret holds placeholders only, clearly marked', () => {
    expect(secretKeys(secret).sort()).toEqual(['DB_PASS', 'TOKEN_SECRET']);
    for (const value of Object.values<string>(secret.stringData ?? {}))
      expect(value).toContain('CHANGE-ME');
    expect(secret.data).toBeUndefined();
    // Shorter than the 16 characters the app requires: an unreplaced key stops the pods at boot.
    expect(secret.stringData.TOKEN_SECRET.length).toBeLessThan(16);
  });

  test('the Job migrates, then loads the dataset if none, with the same image', () => {
    const spec = job.spec.template.spec;
    const steps = [...(spec.initContainers ?? []), ...spec.containers];
    expect(steps.map((c: { command: string[] }) => c.command)).toEqual([
      ['node', 'dist/cli/migrate.js'],
      ['node', 'dist/cli/data.js', 'ensure'],
    ]);
    expect(spec.containers).toHaveLength(1);
    for (const step of steps) expect(step.image).toBe(app.image);
    expect(['Never', 'OnFailure']).toContain(spec.restartPolicy);
  });
});
