import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { executableOnPath } from '../testing/prometheus-server.js';
import { repositoryRoot } from '../testing/service-process.js';

// The manifests in infra/k8s as a cluster would receive them: rendered by `kubectl kustomize` (no
// cluster needed), every object validated against the Kubernetes 1.34 schemas of the
// `kubernetes-models` package (types, required fields, formats; it does not reject unknown fields),
// then the wiring between them checked: probes, ports, scrape annotations, secrets, mounts,
// selectors and the variables each service reads. Nothing is applied to a cluster.

const run = promisify(execFile);
const kubectl = executableOnPath('kubectl');

interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
  };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
}

interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: { readonly name: string; readonly key: string };
    readonly configMapKeyRef?: { readonly name: string; readonly key: string };
  };
}

interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
}

interface Container {
  readonly name: string;
  readonly image: string;
  readonly args?: readonly string[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly env?: readonly EnvVar[];
  readonly envFrom?: readonly { readonly configMapRef?: { readonly name: string } }[];
  readonly startupProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly volumeMounts?: readonly { readonly name: string; readonly mountPath: string }[];
  readonly securityContext?: Record<string, unknown>;
}

interface PodTemplate {
  readonly metadata: {
    readonly labels: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec: {
    readonly containers: readonly Container[];
    readonly securityContext?: { readonly runAsNonRoot?: boolean; readonly runAsUser?: number };
    readonly volumes?: readonly {
      readonly name: string;
      readonly secret?: {
        readonly secretName: string;
        readonly items?: readonly { readonly key: string; readonly path: string }[];
      };
    }[];
  };
}

interface Workload extends KubeObject {
  readonly spec: {
    readonly replicas: number;
    readonly selector: { readonly matchLabels: Record<string, string> };
    readonly template: PodTemplate;
  };
}

const services = {
  gateway: 'Deployment',
  scheduler: 'Deployment',
  projector: 'Deployment',
  'node-agent': 'StatefulSet',
} as const;
type Service = keyof typeof services;

async function render(folder: string): Promise<KubeObject[]> {
  const { stdout } = await run(kubectl as string, ['kustomize', `${repositoryRoot}${folder}`]);
  return parseAllDocuments(stdout).map((document) => document.toJS() as KubeObject);
}

/** Validates an object with the `kubernetes-models` class of its apiVersion and kind. */
async function schemaProblems(object: KubeObject): Promise<string | undefined> {
  const module = (await import(`kubernetes-models/${object.apiVersion}/${object.kind}`)) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = module[object.kind];
  if (Model === undefined) return `no model for ${object.apiVersion} ${object.kind}`;
  try {
    new Model(object).validate();
    return undefined;
  } catch (error) {
    return `${object.kind}/${object.metadata.name}: ${String(error)}`;
  }
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

const documentedVariables = readFileSync(`${repositoryRoot}docs/operations.md`, 'utf8');
const kubernetesReadme = readFileSync(`${repositoryRoot}infra/k8s/README.md`, 'utf8');

(kubectl === undefined ? describe.skip : describe)(
  `the Kubernetes manifests${kubectl === undefined ? ' (SKIPPED: kubectl not on PATH; it renders them with its built-in kustomize)' : ''}`,
  () => {
    let overlay: KubeObject[];
    const workload = (service: Service): Workload => {
      const found = overlay.find(
        (object) => object.kind === services[service] && object.metadata.name === service,
      );
      if (found === undefined) throw new Error(`no ${services[service]} ${service}`);
      return found as Workload;
    };
    const container = (service: Service): Container => {
      const [only, ...others] = workload(service).spec.template.spec.containers;
      if (only === undefined || others.length > 0) throw new Error(`${service}: one container`);
      return only;
    };
    const envValue = (service: Service, name: string) =>
      container(service).env?.find((variable) => variable.name === name)?.value;
    const portNumber = (service: Service, port: string | number | undefined) =>
      typeof port === 'number'
        ? port
        : container(service).ports?.find((declared) => declared.name === port)?.containerPort;

    beforeAll(async () => {
      overlay = await render('infra/k8s/overlays/example');
    });

    test.each(['infra/k8s/base', 'infra/k8s/overlays/example'])(
      '%s renders, and every object is valid against the Kubernetes schemas',
      async (folder) => {
        const objects = await render(folder);
        expect(objects.length).toBeGreaterThan(8);
        // One at a time: Jest's ESM loader fails on concurrent first imports of a shared module.
        const problems: string[] = [];
        for (const object of objects) {
          const problem = await schemaProblems(object);
          if (problem !== undefined) problems.push(problem);
        }
        expect(problems).toEqual([]);
      },
    );

    test('the example overlay puts everything in its namespace, with images from its registry', () => {
      for (const object of overlay.filter((each) => each.kind !== 'Namespace'))
        expect([object.kind, object.metadata.name, object.metadata.namespace]).toEqual([
          object.kind,
          object.metadata.name,
          'canopy',
        ]);
      for (const service of Object.keys(services) as Service[])
        expect(container(service).image).toBe(`registry.example.com/canopy/${service}:0.1.0`);
    });

    test('gateways, schedulers and projectors are replicated; disruptions take one at a time', () => {
      expect(workload('gateway').spec.replicas).toBe(3);
      expect(workload('scheduler').spec.replicas).toBeGreaterThanOrEqual(2);
      expect(workload('projector').spec.replicas).toBeGreaterThanOrEqual(2);
      for (const service of ['gateway', 'scheduler', 'projector'] as const) {
        const budgets = overlay.filter(
          (object) =>
            object.kind === 'PodDisruptionBudget' &&
            matches(
              (object.spec as { selector: { matchLabels: Record<string, string> } }).selector
                .matchLabels,
              workload(service).spec.template.metadata.labels,
            ),
        );
        expect(budgets.map((budget) => budget.spec)).toEqual([
          expect.objectContaining({ maxUnavailable: 1 }),
        ]);
      }
    });

    test.each(Object.keys(services) as Service[])(
      '%s: probes on /healthz and /readyz, scraped where /metrics is served, never as root',
      (service) => {
        const pod = workload(service).spec.template;
        expect(matches(workload(service).spec.selector.matchLabels, pod.metadata.labels)).toBe(
          true,
        );
        const own = container(service);
        expect(own.startupProbe?.httpGet?.path).toBe('/healthz');
        expect(own.livenessProbe?.httpGet?.path).toBe('/healthz');
        expect(own.readinessProbe?.httpGet?.path).toBe('/readyz');
        const adminPort = Number(envValue(service, 'ADMIN_PORT'));
        expect(adminPort).toBe(9464);
        expect(portNumber(service, 'admin')).toBe(adminPort);
        // The gateway's probes stay on its API port, where a load balancer looks too.
        const probePort = service === 'gateway' ? Number(envValue('gateway', 'PORT')) : adminPort;
        expect(portNumber(service, own.startupProbe?.httpGet?.port)).toBe(probePort);
        expect(portNumber(service, own.livenessProbe?.httpGet?.port)).toBe(probePort);
        expect(portNumber(service, own.readinessProbe?.httpGet?.port)).toBe(probePort);
        expect(pod.metadata.annotations).toEqual({
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(adminPort),
          'prometheus.io/path': '/metrics',
        });
        expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
        expect(own.securityContext).toMatchObject({ allowPrivilegeEscalation: false });
      },
    );

    test.each(Object.keys(services) as Service[])(
      '%s: every variable it is given is one Canopy documents, or feeds another by $(NAME)',
      (service) => {
        const own = container(service);
        const configMaps = (own.envFrom ?? []).map((source) => {
          const name = source.configMapRef?.name;
          const found = overlay.find(
            (object) => object.kind === 'ConfigMap' && object.metadata.name === name,
          );
          if (found === undefined) throw new Error(`${service}: no ConfigMap ${name}`);
          return found;
        });
        const given = [
          ...(own.env ?? []).map((variable) => variable.name),
          ...configMaps.flatMap((configMap) => Object.keys(configMap.data ?? {})),
        ];
        const substituted = new Set(
          [...(own.args ?? []), ...(own.env ?? []).map((variable) => variable.value ?? '')]
            .flatMap((text) => [...text.matchAll(/\$\(([A-Z_]+)\)/g)])
            .map((match) => match[1]),
        );
        const undocumented = given.filter(
          (name) => !substituted.has(name) && !documentedVariables.includes(`\`${name}\``),
        );
        expect(undocumented).toEqual([]);
        expect(given).toEqual(expect.arrayContaining(['NATS_URL', 'NATS_CREDS', 'ADMIN_PORT']));
        if (service !== 'node-agent') expect(given).toContain('DATABASE_URL');
      },
    );

    test.each(Object.keys(services) as Service[])(
      '%s: its files are in secrets mounted where its variables point, and the secrets are documented',
      (service) => {
        const own = container(service);
        const pod = workload(service).spec.template.spec;
        const fileVariables = ['NATS_CREDS', 'NATS_AUTHORITY_FILE', 'AUTH_SIGNING_KEYS_FILE'];
        const files = (own.env ?? []).filter(
          (variable) => fileVariables.includes(variable.name) && variable.value !== undefined,
        );
        // Only what mints or revokes node credentials holds the authority; only gateways sign tokens.
        const expected =
          service === 'gateway'
            ? fileVariables
            : service === 'scheduler'
              ? ['NATS_CREDS', 'NATS_AUTHORITY_FILE']
              : ['NATS_CREDS'];
        expect(files.map((variable) => variable.name).sort()).toEqual([...expected].sort());
        for (const { name, value } of files) {
          const file = (value as string).replace('$(POD_NAME)', `${service}-0`);
          const mount = own.volumeMounts?.find((each) => file.startsWith(`${each.mountPath}/`));
          const volume = pod.volumes?.find((each) => each.name === mount?.name);
          expect([name, volume?.secret?.secretName]).toEqual([name, expect.any(String)]);
          const inVolume = file.slice((mount?.mountPath.length ?? 0) + 1);
          const items = volume?.secret?.items;
          if (items !== undefined) expect(items.map((item) => item.path)).toContain(inVolume);
          // The README's commands create that secret with that key.
          const key = items?.find((item) => item.path === inVolume)?.key ?? inVolume;
          const secretName = volume?.secret?.secretName ?? '';
          expect(kubernetesReadme).toContain(secretName);
          expect(kubernetesReadme).toContain(key);
        }
        for (const variable of own.env ?? []) {
          const reference = variable.valueFrom?.secretKeyRef;
          if (reference === undefined) continue;
          expect(kubernetesReadme).toContain(reference.name);
          expect(kubernetesReadme).toContain(reference.key);
        }
      },
    );

    test('each node agent offers what its container may use and has credentials of its own', () => {
      const own = container('node-agent');
      expect(own.args).toEqual(['--cpu-count', '$(CPU_COUNT)', '--mem-size', '$(MEM_SIZE)']);
      expect(envValue('node-agent', 'NATS_CREDS')).toBe('/etc/canopy/nats/$(POD_NAME).creds');
      const names = (own.env ?? []).map((variable) => variable.name);
      // $(NAME) refers only to variables defined before it.
      expect(names.indexOf('POD_NAME')).toBeLessThan(names.indexOf('NATS_CREDS'));
    });

    test('every Service selects pods of a workload, on ports they declare', () => {
      const servicesRendered = overlay.filter((object) => object.kind === 'Service');
      expect(servicesRendered.map((object) => object.metadata.name).sort()).toEqual([
        'gateway',
        'node-agent',
      ]);
      for (const object of servicesRendered) {
        const spec = object.spec as {
          selector: Record<string, string>;
          ports: { targetPort: string }[];
        };
        const selected = (Object.keys(services) as Service[]).filter((service) =>
          matches(spec.selector, workload(service).spec.template.metadata.labels),
        );
        expect(selected).toEqual([object.metadata.name]);
        for (const port of spec.ports)
          expect(portNumber(object.metadata.name as Service, port.targetPort)).toBeDefined();
      }
    });
  },
);
