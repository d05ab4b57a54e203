import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const DOCKER_DIR = join(ROOT, 'docker');
const K8S_DIR = join(DOCKER_DIR, 'k8s');

type Labels = Record<string, string>;

interface Meta {
  name: string;
  labels?: Labels;
}

interface Probe {
  httpGet?: { path: string; port: number | string };
  periodSeconds?: number;
  failureThreshold?: number;
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Labels; limits?: Labels };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: unknown };
}

interface PodTemplate {
  metadata: { labels: Labels };
  spec: {
    containers: Container[];
    terminationGracePeriodSeconds?: number;
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  };
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: Meta;
}

interface Deployment extends Manifest {
  spec: { selector: { matchLabels: Labels }; template: PodTemplate };
}

interface Service extends Manifest {
  spec: { selector: Labels; ports: { port: number; targetPort: number | string }[] };
}

interface Hpa extends Manifest {
  spec: {
    scaleTargetRef: { kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
  };
}

interface Pdb extends Manifest {
  spec: { selector: { matchLabels: Labels }; minAvailable: number };
}

interface Job extends Manifest {
  spec: { template: PodTemplate; activeDeadlineSeconds?: number };
}

interface NetworkPolicy extends Manifest {
  spec: {
    podSelector: { matchLabels: Labels };
    policyTypes: string[];
    ingress: {
      from: {
        namespaceSelector?: { matchLabels?: Labels };
        podSelector?: { matchLabels?: Labels };
      }[];
      ports: { port: number | string }[];
    }[];
  };
}

interface ConfigMap extends Manifest {
  data: Record<string, unknown>;
}

interface Kustomization {
  resources: string[];
}

interface ComposeService {
  image?: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  restart?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  stop_grace_period?: string;
}

interface Compose {
  services: Record<string, ComposeService>;
  networks?: { default?: { ipam?: { config?: { subnet: string }[] } } };
}

const read = (path: string): string => readFileSync(path, 'utf8');

/** The manifests' files: every YAML file in docker/k8s but kustomization.yaml. */
function manifestFiles(): string[] {
  return readdirSync(K8S_DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
}

function loadManifests(): Manifest[] {
  return manifestFiles().flatMap((file) =>
    parseAllDocuments(read(join(K8S_DIR, file))).map((doc) => doc.toJS() as Manifest),
  );
}

function onlyOne<T extends Manifest>(manifests: Manifest[], kind: string): T {
  const found = manifests.filter((m) => m.kind === kind);
  if (found.length !== 1)
    throw new Error(`expected one ${kind} in docker/k8s, found ${found.length}`);
  return found[0] as T;
}

/** True when every label the selector asks for is on the pod. */
function selects(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** Dockerfile instructions as [KEYWORD, arguments], continuation lines joined. */
function dockerInstructions(text: string): [string, string][] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return [keyword.toUpperCase(), rest.join(' ')];
    });
}

function argsOf(instructions: [string, string][], keyword: string): string[] {
  return instructions.filter(([k]) => k === keyword).map(([, args]) => args);
}

/** `server host:port ...;` entries of one nginx upstream block. */
function upstreamServers(conf: string, name: string): string[] {
  const uncommented = conf.replace(/#.*$/gm, '');
  const block = new RegExp(`upstream\\s+${name}\\s*\\{([^}]*)\\}`).exec(uncommented);
  const statements = (block?.[1] ?? '')
    .split(';')
    .map((statement) => statement.trim().split(/\s+/));
  return statements.filter(([directive]) => directive === 'server').map(([, address]) => address);
}

function dependsOn(service: ComposeService): Record<string, string> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition]));
}

function hasCommand(command: string, args = ['version']): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/**
 * docker-compose v1 refuses a missing env_file, so the compose file is checked from a
 * copy beside an empty .env: the result then doesn't depend on a developer's .env.
 */
function composeConfig(env: NodeJS.ProcessEnv): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'compose-check-'));
  try {
    mkdirSync(join(dir, 'docker'));
    for (const file of ['docker-compose.yml', 'nginx.conf']) {
      copyFileSync(join(DOCKER_DIR, file), join(dir, 'docker', file));
    }
    writeFileSync(join(dir, '.env'), '');
    const file = join(dir, 'docker', 'docker-compose.yml');
    const result = spawnSync('docker-compose', ['-f', file, 'config', '-q'], {
      cwd: dir,
      env,
      encoding: 'utf8',
    });
    return { status: result.status, stderr: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('deployment files', () => {
  const dockerfile = dockerInstructions(read(join(DOCKER_DIR, 'Dockerfile')));
  const exposedPort = Number(argsOf(dockerfile, 'EXPOSE')[0]);
  const manifests = loadManifests();
  const kustomization = parse(read(join(K8S_DIR, 'kustomization.yaml'))) as Kustomization;
  const deployment = onlyOne<Deployment>(manifests, 'Deployment');
  const podLabels = deployment.spec.template.metadata.labels;
  const container = deployment.spec.template.spec.containers[0];
  const compose = parse(read(join(DOCKER_DIR, 'docker-compose.yml')), { merge: true }) as Compose;
  /** The compose network's pinned subnet: the only peers the APIs believe. */
  const composeSubnet = () => {
    const subnets = compose.networks?.default?.ipam?.config?.map((c) => c.subnet) ?? [];
    expect(subnets).toHaveLength(1);
    return subnets[0];
  };
  const nginxConf = read(join(DOCKER_DIR, 'nginx.conf'));

  describe('Dockerfile', () => {
    it('is a multi-stage build', () => {
      const froms = argsOf(dockerfile, 'FROM');
      expect(froms.length).toBeGreaterThanOrEqual(2);
      expect(froms.some((args) => /\sAS\s+\S+/i.test(args))).toBe(true);
    });

    it('runs as a non-root user in production mode', () => {
      const users = argsOf(dockerfile, 'USER');
      expect(users.length).toBeGreaterThan(0);
      expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
      expect(argsOf(dockerfile, 'ENV').join(' ')).toMatch(/\bNODE_ENV=production\b/);
    });

    it('exposes one port and checks its health on /health/live', () => {
      expect(Number.isInteger(exposedPort)).toBe(true);
      expect(argsOf(dockerfile, 'HEALTHCHECK').join(' ')).toContain('/health/live');
      expect(argsOf(dockerfile, 'CMD').at(-1)).toContain('dist/src/main.js');
    });
  });

  describe('Kubernetes manifests', () => {
    it('parse without errors and carry the app label', () => {
      for (const file of manifestFiles()) {
        for (const doc of parseAllDocuments(read(join(K8S_DIR, file)))) {
          expect({ file, errors: doc.errors }).toEqual({ file, errors: [] });
        }
      }
      for (const m of manifests) {
        expect(m.metadata.labels?.['app.kubernetes.io/name']).toBe('perfect21-auth');
      }
    });

    it('list every file in kustomization.yaml, and only existing ones', () => {
      const { resources } = kustomization;
      for (const file of resources) expect(existsSync(join(K8S_DIR, file))).toBe(true);
      expect([...resources].sort()).toEqual(manifestFiles().sort());
    });

    it('give the Deployment a selector that matches its own pods', () => {
      expect(selects(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    });

    it('probe /health/live for liveness and start-up, /health/ready for readiness', () => {
      expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(container.startupProbe?.httpGet?.path).toBe('/health/live');
    });

    it('probe the port the container listens on, which is the image EXPOSE', () => {
      const ports = container.ports ?? [];
      const http = ports.find((p) => p.name === 'http');
      expect(http?.containerPort).toBe(exposedPort);
      const accepted = [exposedPort, 'http'];
      for (const probe of [
        container.startupProbe,
        container.livenessProbe,
        container.readinessProbe,
      ]) {
        expect(accepted).toContain(probe?.httpGet?.port);
      }
    });

    it('set resource requests and limits', () => {
      for (const kind of ['requests', 'limits'] as const) {
        expect(container.resources?.[kind]?.cpu).toBeDefined();
        expect(container.resources?.[kind]?.memory).toBeDefined();
      }
    });

    it('leave time to drain: the app drain delay inside the grace period', () => {
      const { data } = onlyOne<ConfigMap>(manifests, 'ConfigMap');
      const drain = Number(data.SHUTDOWN_DRAIN_SECONDS);
      expect(drain).toBeGreaterThanOrEqual(5);
      // Drain, then up to ~9 s for in-flight requests (main.ts), before SIGKILL.
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
        drain + 10,
      );
      // The app drains itself (readiness 503 first); a preStop sleep would only add to it.
      expect(container.lifecycle?.preStop).toBeUndefined();
    });

    it('believe X-Forwarded-For only from private peers, and let only the ingress in', () => {
      const { data } = onlyOne<ConfigMap>(manifests, 'ConfigMap');
      expect(data.TRUST_PROXY).toBe('uniquelocal');
      const policy = onlyOne<NetworkPolicy>(manifests, 'NetworkPolicy');
      expect(selects(policy.spec.podSelector.matchLabels, podLabels)).toBe(true);
      expect(policy.spec.policyTypes).toContain('Ingress');
      expect(policy.spec.ingress).toHaveLength(1);
      const [rule] = policy.spec.ingress;
      expect(rule.from.length).toBeGreaterThan(0);
      // Each peer is one namespace+pod selector pair (the ingress controller), never "all".
      for (const peer of rule.from) {
        expect(peer.namespaceSelector?.matchLabels).toBeDefined();
        expect(peer.podSelector?.matchLabels).toBeDefined();
      }
      expect(rule.ports.map((p) => p.port)).toEqual(['http']);
    });

    it('run the pods as non-root on a read-only root filesystem', () => {
      expect(deployment.spec.template.spec.securityContext?.runAsNonRoot).toBe(true);
      expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
      expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
    });

    it('point the HPA at the Deployment and the PDB at its pods', () => {
      const hpa = onlyOne<Hpa>(manifests, 'HorizontalPodAutoscaler');
      const pdb = onlyOne<Pdb>(manifests, 'PodDisruptionBudget');
      expect(hpa.spec.scaleTargetRef).toMatchObject({
        kind: 'Deployment',
        name: deployment.metadata.name,
      });
      expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      // A PDB that needs every pod the HPA keeps would block node drains.
      expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
    });

    it('route the Service to the pods through the named container port', () => {
      const service = onlyOne<Service>(manifests, 'Service');
      expect(selects(service.spec.selector, podLabels)).toBe(true);
      const portNames = (container.ports ?? []).map((p) => p.name);
      for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
    });

    it('run migrations in a Job whose pods the Service does not select', () => {
      const job = onlyOne<Job>(manifests, 'Job');
      const [migrate] = job.spec.template.spec.containers;
      expect(migrate.command?.join(' ')).toContain('dist/src/cli/migrate.js');
      expect(migrate.image).toBe(container.image);
      expect(migrate.envFrom).toEqual(container.envFrom);
      const { data } = onlyOne<ConfigMap>(manifests, 'ConfigMap');
      expect(Number(data.MIGRATION_STATEMENT_TIMEOUT_MS)).toBeGreaterThan(
        Number(data.DATABASE_STATEMENT_TIMEOUT_MS) * 100,
      );
      expect(job.spec.activeDeadlineSeconds! * 1000).toBeGreaterThanOrEqual(
        Number(data.MIGRATION_STATEMENT_TIMEOUT_MS),
      );
      const service = onlyOne<Service>(manifests, 'Service');
      expect(selects(service.spec.selector, job.spec.template.metadata.labels)).toBe(false);
    });

    it('take configuration from the ConfigMap and Secret defined here', () => {
      const names = new Set(manifests.map((m) => `${m.kind}/${m.metadata.name}`));
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef) expect(names).toContain(`ConfigMap/${source.configMapRef.name}`);
        if (source.secretRef) expect(names).toContain(`Secret/${source.secretRef.name}`);
      }
      const { data } = onlyOne<ConfigMap>(manifests, 'ConfigMap');
      // ConfigMap values must be strings: a bare 3000 or false is rejected on apply.
      for (const value of Object.values(data)) expect(typeof value).toBe('string');
      expect(data).toMatchObject({ PORT: String(exposedPort), MIGRATIONS_RUN: 'false' });
    });
  });

  describe('kustomize build', () => {
    const maybe = hasCommand('kubectl', ['version', '--client']) ? it : it.skip;

    maybe('names the migration Job after the image tag, so each release applies a new Job', () => {
      const dir = mkdtempSync(join(tmpdir(), 'p21-k8s-'));
      try {
        for (const file of readdirSync(K8S_DIR)) copyFileSync(join(K8S_DIR, file), join(dir, file));
        const build = (tag: string) => {
          const file = join(dir, 'kustomization.yaml');
          writeFileSync(file, read(file).replace(/newTag: .*/, `newTag: ${tag}`));
          const out = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
          expect(out.stderr).toBe('');
          return parseAllDocuments(out.stdout).map((d) => d.toJS() as Job);
        };
        for (const tag of ['1.4.2', '2.0.0-rc1']) {
          const job = build(tag).find((m) => m.kind === 'Job')!;
          expect(job.metadata.name).toBe(`perfect21-auth-migrate-${tag}`);
          expect(job.spec.template.spec.containers[0].image).toBe(`perfect21/auth-api:${tag}`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('docker-compose and nginx', () => {
    const apis = Object.keys(compose.services).filter((name) => /^api\d+$/.test(name));

    it('define three API replicas beside nginx, postgres, redis and migrate', () => {
      expect([...apis].sort()).toEqual(['api1', 'api2', 'api3']);
      expect(Object.keys(compose.services)).toEqual(
        expect.arrayContaining(['nginx', 'postgres', 'redis', 'migrate']),
      );
    });

    it('start the APIs after migrations and a healthy Redis, reachable only via nginx', () => {
      for (const name of apis) {
        const api = compose.services[name];
        expect(dependsOn(api)).toMatchObject({
          migrate: 'service_completed_successfully',
          redis: 'service_healthy',
        });
        expect(api.ports).toBeUndefined();
        expect(api.environment).toMatchObject({
          TRUST_PROXY: composeSubnet(),
          MIGRATIONS_RUN: 'false',
        });
      }
      const { migrate } = compose.services;
      expect(migrate.command?.join(' ')).toContain('dist/src/cli/migrate.js');
      expect(migrate.restart).toBe('no');
    });

    it('wire every API to the MailDev mail catcher (SMTP 1025, web UI on 1080)', () => {
      const { maildev } = compose.services;
      expect(maildev.image).toMatch(/^maildev\/maildev(:|$)/);
      expect(maildev.ports).toEqual(['1080:1080']);
      for (const name of apis) {
        expect(compose.services[name].environment?.SMTP_URL).toBe(
          '${SMTP_URL:-smtp://maildev:1025}',
        );
      }
    });

    it('balance nginx over exactly the API services on the port they listen on', () => {
      const expected = apis.map((api) => `${api}:${exposedPort}`).sort();
      expect(upstreamServers(nginxConf, 'api_servers').sort()).toEqual(expected);
      expect(nginxConf).toMatch(/proxy_pass\s+http:\/\/api_servers\s*;/);
      expect(compose.services.nginx.volumes?.join(' ')).toContain(
        './nginx.conf:/etc/nginx/nginx.conf',
      );
    });

    it('overwrite X-Forwarded-For, as TRUST_PROXY (the nginx network) assumes', () => {
      expect(nginxConf).toMatch(/proxy_set_header\s+X-Forwarded-For\s+\$remote_addr\s*;/);
      expect(nginxConf).not.toContain('$proxy_add_x_forwarded_for');
    });

    it('drain longer than nginx keeps idle upstream connections, within the stop grace period', () => {
      const env = compose.services.api1.environment!;
      const drain = Number(env.SHUTDOWN_DRAIN_SECONDS);
      const keepalive = /keepalive_timeout\s+(\d+)s\s*;/.exec(nginxConf);
      expect(keepalive).not.toBeNull();
      expect(drain).toBeGreaterThan(Number(keepalive![1]));
      const grace = Number(/^(\d+)s$/.exec(compose.services.api1.stop_grace_period ?? '')?.[1]);
      expect(grace).toBeGreaterThanOrEqual(drain + 10);
      expect(nginxConf).toMatch(/proxy_next_upstream\s+error\s+timeout\s+http_502\s+http_503/);
      expect(nginxConf).not.toMatch(/proxy_next_upstream[^;]*non_idempotent/);
    });

    const maybe = hasCommand('docker-compose') ? it : it.skip;

    const required = {
      JWT_SECRET_KEY: 'x'.repeat(32),
      SECRETS_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
    };

    maybe('pass `docker-compose config`, and fail it without each required secret', () => {
      const ok = composeConfig({ ...process.env, ...required });
      expect(ok).toEqual({ status: 0, stderr: '' });

      for (const name of Object.keys(required)) {
        const env: NodeJS.ProcessEnv = { ...process.env, ...required };
        delete env[name];
        const missing = composeConfig(env);
        expect(missing.status).not.toBe(0);
        expect(missing.stderr).toContain(name);
      }
    });
  });
});
