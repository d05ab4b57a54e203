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
const container = deployment.spec.template.spec.containers[0];

/** The manifests' probes and port, checked against the real application. */
describe('Kubernetes manifests match the app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('the ConfigMap is a valid configuration whose port is the container port', () => {
    const config = loadConfig({
      ...configMap.data,
      JWT_SECRET_KEY: 'k8s-test-secret-0123456789abcdefghij',
    });
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
