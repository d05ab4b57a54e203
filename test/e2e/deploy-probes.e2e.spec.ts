import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { assertMetricsProtected, loadConfig } from '../../src/config/app-config';
import { createTestApp, TestApp } from '../utils/test-app';

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  ports: Array<{ name: string; containerPort: number }>;
  livenessProbe: Probe;
  readinessProbe: Probe;
  startupProbe: Probe;
}

const deployment = parse(readFileSync('docker/k8s/deployment.yaml', 'utf8')) as {
  spec: { template: { spec: { containers: Container[] } } };
};
const configMap = parse(readFileSync('docker/k8s/configmap.yaml', 'utf8')) as {
  data: Record<string, string>;
};
const secret = parse(readFileSync('docker/k8s/secret.yaml', 'utf8')) as {
  stringData: Record<string, string>;
};
const container = deployment.spec.template.spec.containers[0];

/** The Secret's placeholders, filled in as a secret manager would. */
const secretValues: Record<string, string> = {
  JWT_SECRET_KEY: 'k8s-test-secret-0123456789abcdefghij',
  SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  DATABASE_URL: 'postgres://perfect21:pw@postgres.perfect21.svc.cluster.local:5432/perfect21',
  REDIS_URL: 'redis://redis.perfect21.svc.cluster.local:6379',
};

/** The manifests' probes and port, checked against the real application. */
describe('Kubernetes manifests match the app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('the ConfigMap and the Secret make a valid configuration whose port is the container port', () => {
    expect(Object.keys(secret.stringData).sort()).toEqual(Object.keys(secretValues).sort());
    const config = loadConfig({ ...configMap.data, ...secretValues });
    expect(container.ports.map((p) => p.containerPort)).toEqual([config.port, config.metricsPort]);
    expect(() => assertMetricsProtected(config)).not.toThrow();
  });

  it('every probe path answers 200 on the app, on the named container port', async () => {
    for (const probe of [
      container.livenessProbe,
      container.readinessProbe,
      container.startupProbe,
    ]) {
      expect(container.ports.map((p) => p.name)).toContain(probe.httpGet.port);
      await t.http.get(probe.httpGet.path).expect(200);
    }
  });
});
