import { createTestApp, FAST_ENV, TestApp } from '../utils/test-app';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { assertMetricsProtected, loadConfig } from '../../src/config/app-config';
import { MetricsListener } from '../../src/metrics/metrics-listener';
import {
  bearer,
  createUser,
  expectErrorEnvelope,
  login,
  STRONG_PASSWORD,
} from '../utils/factories';

/** Value of the sample `name{labels}` in a Prometheus text exposition, undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}) {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(t: TestApp, headers: Record<string, string> = {}) {
  const res = await t.http.get('/metrics').set(headers);
  expect(res.status).toBe(200);
  return res.text;
}

describe('GET /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ LOCKOUT_MAX_ATTEMPTS: '2' });
  });
  afterAll(() => t.close());

  it('serves Prometheus text with default process metrics, outside Swagger', async () => {
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(res.text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(res.text).toContain('# TYPE http_request_duration_seconds histogram');
    const docs = await t.http.get('/docs-json');
    expect(Object.keys(docs.body.paths)).not.toContain('/metrics');
  });

  it('times requests by route pattern and status, with unknown routes as "unmatched"', async () => {
    const user = await createUser(t.http);
    const sessions = await t.http.get('/api/sessions').set(bearer(user.accessToken));
    const sid = sessions.body.data[0].id as string;
    expect((await t.http.delete(`/api/sessions/${sid}`).set(bearer(user.accessToken))).status).toBe(
      204,
    );
    expect((await t.http.get('/no/such/route/1f3a9c')).status).toBe(404);
    expect(
      (await t.http.post('/api/auth/login').set('Content-Type', 'application/json').send('{bad'))
        .status,
    ).toBe(400);

    const text = await scrape(t);
    const count = (labels: Record<string, string>) =>
      sample(text, 'http_request_duration_seconds_count', labels);
    expect(count({ method: 'POST', route: '/api/auth/register', status_code: '201' })).toBe(1);
    expect(count({ method: 'DELETE', route: '/api/sessions/:id', status_code: '204' })).toBe(1);
    expect(count({ method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    expect(count({ method: 'POST', route: '/api/auth/login', status_code: '400' })).toBe(1);
    expect(
      sample(text, 'http_request_duration_seconds_bucket', {
        route: '/api/auth/register',
        le: '+Inf',
      }),
    ).toBe(1);
    // Raw URLs never become labels.
    expect(text).not.toContain('1f3a9c');
    expect(text).not.toContain(sid);
  });

  it('counts logins by outcome, lockouts, refresh reuse and revocations', async () => {
    const before = await scrape(t);
    const value = (text: string, name: string, labels: Record<string, string> = {}) =>
      sample(text, name, labels) ?? 0;

    const user = await createUser(t.http);
    await login(t.http, user.email, user.password);
    const wrong = { email: user.email, password: `${STRONG_PASSWORD}x` };
    expect((await t.http.post('/api/auth/login').send(wrong)).status).toBe(401);
    expect((await t.http.post('/api/auth/login').send(wrong)).status).toBe(401);
    const locked = await t.http.post('/api/auth/login').send(wrong);
    expectErrorEnvelope(locked.body, 'ACCOUNT_LOCKED');

    const rotated = await t.http
      .post('/api/auth/refresh')
      .send({ refresh_token: user.refreshToken });
    expect(rotated.status).toBe(200);
    const reused = await t.http
      .post('/api/auth/refresh')
      .send({ refresh_token: user.refreshToken });
    expectErrorEnvelope(reused.body, 'TOKEN_REUSED');

    const other = await createUser(t.http);
    expect((await t.http.post('/api/auth/logout').set(bearer(other.accessToken))).status).toBe(204);

    const after = await scrape(t);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      value(after, name, labels) - value(before, name, labels);
    expect(delta('auth_login_attempts_total', { outcome: 'success' })).toBe(1);
    expect(delta('auth_login_attempts_total', { outcome: 'invalid_credentials' })).toBe(2);
    expect(delta('auth_login_attempts_total', { outcome: 'locked' })).toBe(1);
    expect(delta('auth_lockouts_total')).toBe(1);
    expect(delta('auth_refresh_token_reuse_total')).toBe(1);
    expect(delta('auth_sessions_revoked_total', { reason: 'token_reuse_detected' })).toBe(1);
    expect(delta('auth_sessions_revoked_total', { reason: 'user_logout' })).toBe(1);
    expect(
      delta('http_request_duration_seconds_count', {
        route: '/api/auth/login',
        status_code: '401',
      }),
    ).toBe(3);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef';
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ METRICS_TOKEN: token });
  });
  afterAll(() => t.close());

  it('keeps its own counters, apart from an earlier app in this process', async () => {
    const text = await scrape(t, { Authorization: `Bearer ${token}` });
    expect(sample(text, 'auth_login_attempts_total', { outcome: 'success' })).toBe(0);
    expect(
      sample(text, 'http_request_duration_seconds_count', { route: '/api/auth/register' }),
    ).toBeUndefined();
  });

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { Authorization: `Bearer ${token}x` }],
    ['a prefix of the token', { Authorization: `Bearer ${token.slice(0, 10)}` }],
    ['an empty bearer', { Authorization: 'Bearer ' }],
    ['another scheme', { Authorization: `Basic ${token}` }],
  ])('refuses %s with the 401 envelope', async (_case, headers: Record<string, string>) => {
    const res = await t.http.get('/metrics').set(headers);
    expect(res.status).toBe(401);
    expectErrorEnvelope(res.body, 'UNAUTHORIZED');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.text).not.toContain('process_cpu');
  });

  it('serves the metrics for the right token, scheme case-insensitive', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await t.http.get('/metrics').set('Authorization', `${scheme} ${token}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('http_request_duration_seconds');
    }
  });

  it('does not accept a user access token instead', async () => {
    const user = await createUser(t.http);
    const res = await t.http.get('/metrics').set(bearer(user.accessToken));
    expect(res.status).toBe(401);
  });

  it('rejects a METRICS_TOKEN shorter than 16 characters at start-up', () => {
    expect(() => loadConfig({ ...FAST_ENV, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});

describe('GET /metrics with METRICS_PORT (a listener of its own)', () => {
  const token = 'metrics-port-token-0123456789';
  let t: TestApp;
  let metricsUrl: string;

  beforeAll(async () => {
    t = await createTestApp({ METRICS_PORT: '0', METRICS_TOKEN: token });
    const port = t.app.get(MetricsListener).port;
    expect(port).toBeGreaterThan(0);
    metricsUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(() => t.close());

  it('is not served on PORT at all', async () => {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(404);
    expectErrorEnvelope(res.body, 'NOT_FOUND');
  });

  it('is served on METRICS_PORT, still behind METRICS_TOKEN when that is set', async () => {
    const open = await fetch(`${metricsUrl}/metrics`);
    expect(open.status).toBe(401);
    expectErrorEnvelope(await open.json(), 'UNAUTHORIZED');
    const res = await fetch(`${metricsUrl}/metrics`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toContain('http_request_duration_seconds');
    expect((await fetch(`${metricsUrl}/api/users/me`)).status).toBe(404);
  });

  it('stops listening when the app closes', async () => {
    const listener = t.app.get(MetricsListener);
    await listener.onApplicationShutdown();
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });
});

describe('/metrics protection in production', () => {
  const production = {
    NODE_ENV: 'production',
    JWT_SECRET_KEY: 'p'.repeat(40),
    SECRETS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  };

  const check = (env: Record<string, string>) => () => assertMetricsProtected(loadConfig(env));

  it('refuses to start the server with /metrics open to anyone on PORT', () => {
    expect(check(production)).toThrow(/METRICS_TOKEN\/METRICS_PORT/);
    expect(() => loadConfig(production)).not.toThrow(); // the CLIs open no port
  });

  it('starts with a token, or with a port of its own', () => {
    expect(check({ ...production, METRICS_TOKEN: 't'.repeat(20) })).not.toThrow();
    expect(check({ ...production, METRICS_PORT: '9100' })).not.toThrow();
    expect(() => loadConfig({ ...production, METRICS_PORT: '3000' })).toThrow(/METRICS_PORT/);
  });

  it('keeps it open on PORT in development', () => {
    expect(check({ NODE_ENV: 'development' })).not.toThrow();
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config.metricsToken).toBeUndefined();
    expect(config.metricsPort).toBeUndefined();
  });

  it('is protected in the Kubernetes and compose deployments', () => {
    const read = (file: string) => readFileSync(resolve(__dirname, '../../docker', file), 'utf8');
    expect(read('k8s/configmap.yaml')).toMatch(/^\s+METRICS_PORT: "9100"$/m);
    expect(read('docker-compose.yml')).toMatch(/^\s+METRICS_PORT: "9100"$/m);
    expect(read('k8s/service.yaml')).not.toMatch(/9100|metrics/);
  });
});
