import { DataSource } from 'typeorm';
import { pendingSchemaChanges } from '../../src/cli/migrate';
import { createTestApp, TestApp } from '../utils/test-app';
import { expectErrorEnvelope, STRONG_PASSWORD, uniqueEmail } from '../utils/factories';

describe('service foundation', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: 'https://app.example.com', BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(() => t.close());

  describe('health', () => {
    it('live answers 200 without checking dependencies', async () => {
      const res = await t.http.get('/health/live').expect(200);
      expect(res.body.status).toBe('ok');
    });

    it.each(['/health/ready', '/health'])(
      '%s reports the database (and Redis when configured)',
      async (path) => {
        const res = await t.http.get(path).expect(200);
        expect(res.body.status).toBe('ok');
        expect(res.body.details.database.status).toBe('up');
        if (t.config.redisUrl) expect(res.body.details.redis.status).toBe('up');
      },
    );
  });

  describe('schema', () => {
    it('entities and migrations agree: no pending schema change after migrating', async () => {
      const pending = await pendingSchemaChanges(t.app.get(DataSource));
      expect(pending).toEqual([]);
    });

    it('has the guide’s indexes and constraints', async () => {
      const ds = t.app.get(DataSource);
      const indexes: Array<{ indexname: string }> = await ds.query(
        `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`,
      );
      const names = indexes.map((i) => i.indexname);
      for (const name of [
        'idx_users_email',
        'idx_users_role',
        'idx_users_created_at',
        'idx_sessions_user_id',
        'idx_sessions_jti',
        'idx_sessions_expires_at',
        'idx_audit_logs_user_id',
        'idx_audit_logs_action',
        'idx_audit_logs_created_at',
      ]) {
        expect(names).toContain(name);
      }
      await expect(
        ds.query(`INSERT INTO users (email, password_hash, role) VALUES ('x@y.io', 'h', 'root')`),
      ).rejects.toThrow(/check constraint/);
    });
  });

  describe('error envelope', () => {
    it('unknown route → 404 NOT_FOUND', async () => {
      const res = await t.http.get('/api/nope').expect(404);
      expectErrorEnvelope(res.body, 'NOT_FOUND');
    });

    it('malformed JSON → 400 BAD_REQUEST', async () => {
      const res = await t.http
        .post('/api/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"email": ')
        .expect(400);
      expectErrorEnvelope(res.body, 'BAD_REQUEST');
    });

    it('body over BODY_LIMIT_BYTES → 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await t.http
        .post('/api/auth/register')
        .send({ email: uniqueEmail(), password: STRONG_PASSWORD, first_name: 'x'.repeat(4000) })
        .expect(413);
      expectErrorEnvelope(res.body, 'PAYLOAD_TOO_LARGE');
    });

    it('validation errors list every field in details', async () => {
      const res = await t.http
        .post('/api/auth/register')
        .send({ email: 'nope', password: 'short', role: 'admin' })
        .expect(400);
      expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
      const fields = (res.body.error.details as Array<{ field: string }>).map((d) => d.field);
      expect(fields).toEqual(expect.arrayContaining(['email', 'password', 'role']));
    });

    it('a body that is not an object is a validation error, not a 500', async () => {
      const res = await t.http
        .post('/api/auth/login')
        .set('Content-Type', 'application/json')
        .send('[1,2]');
      expect(res.status).toBe(400);
      expect(['VALIDATION_ERROR', 'BAD_REQUEST']).toContain(res.body.error.code);
    });
  });

  describe('HTTP hardening', () => {
    it('sets the security headers on every response, errors included', async () => {
      for (const path of ['/health/live', '/api/nope']) {
        const res = await t.http.get(path);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['strict-transport-security']).toBe(
          'max-age=31536000; includeSubDomains',
        );
        expect(res.headers['x-xss-protection']).toBe('0');
      }
    });

    it('echoes a valid X-Request-Id and replaces an invalid one', async () => {
      const ok = await t.http.get('/health/live').set('X-Request-Id', 'abc.DEF_123-x');
      expect(ok.headers['x-request-id']).toBe('abc.DEF_123-x');
      const bad = await t.http.get('/health/live').set('X-Request-Id', 'has spaces<script>');
      expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const none = await t.http.get('/health/live');
      expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers CORS only for configured origins', async () => {
      const allowed = await t.http
        .options('/api/auth/login')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'POST');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(allowed.headers['access-control-allow-credentials']).toBe('true');
      expect(allowed.headers['access-control-allow-headers']).toMatch(/Authorization/);
      const denied = await t.http
        .options('/api/auth/login')
        .set('Origin', 'https://evil.example.com')
        .set('Access-Control-Request-Method', 'POST');
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
      const exposed = await t.http.get('/health/live').set('Origin', 'https://app.example.com');
      expect(exposed.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
    });

    it('puts the CORS headers on error responses and varies caches on Origin', async () => {
      const origin = 'https://app.example.com';
      const unauthorized = await t.http.get('/api/users/me').set('Origin', origin).expect(401);
      expect(unauthorized.headers['access-control-allow-origin']).toBe(origin);
      expect(unauthorized.headers['access-control-expose-headers']).toMatch(/Retry-After/);
      expect(unauthorized.headers.vary).toMatch(/Origin/);
      const missing = await t.http.get('/api/no-such-route').set('Origin', origin).expect(404);
      expect(missing.headers['access-control-allow-origin']).toBe(origin);
      const preflight = await t.http
        .options('/api/users/me')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'GET')
        .expect(204);
      expect(preflight.headers['access-control-max-age']).toBe('600');
      expect(preflight.headers['access-control-allow-methods'].split(/,\s*/)).toEqual([
        'GET',
        'POST',
        'PUT',
        'PATCH',
        'DELETE',
      ]);
      const plain = await t.http.get('/api/users/me').expect(401);
      expect(plain.headers['access-control-allow-origin']).toBeUndefined();
      expect(plain.headers['access-control-allow-credentials']).toBeUndefined();
      expect(plain.headers.vary).toMatch(/Origin/);
    });
  });

  describe('docs', () => {
    it('serves Swagger UI at /docs', async () => {
      const res = await t.http.get('/docs').redirects(1).expect(200);
      expect(res.text).toMatch(/swagger-ui/i);
    });

    it('lists every route of the contract in /docs-json with bearer auth and the error schema', async () => {
      const res = await t.http.get('/docs-json').expect(200);
      const paths = Object.keys(res.body.paths);
      for (const path of [
        '/api/auth/register',
        '/api/auth/login',
        '/api/auth/refresh',
        '/api/auth/logout',
        '/api/auth/logout-all',
        '/api/auth/change-password',
        '/api/users/me',
        '/api/sessions',
        '/api/sessions/{id}',
        '/health/live',
        '/health/ready',
        '/health',
      ]) {
        expect(paths).toContain(path);
      }
      expect(res.body.components.securitySchemes.bearer.scheme).toBe('bearer');
      expect(res.body.components.schemas.ErrorResponse).toBeDefined();
    });
  });
});

describe('trusted hosts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ALLOWED_HOSTS: 'api.example.com' });
  });
  afterAll(() => t.close());

  it('rejects a Host not in ALLOWED_HOSTS with 400 BAD_REQUEST, but never the health probes', async () => {
    const res = await t.http.get('/api/users/me').set('Host', 'evil.example.com').expect(400);
    expectErrorEnvelope(res.body, 'BAD_REQUEST');
    await t.http.get('/api/users/me').set('Host', 'API.example.com:8443').expect(401);
    await t.http.get('/health/live').set('Host', '10.0.0.7:3000').expect(200);
    await t.http.get('/health/ready').set('Host', '10.0.0.7:3000').expect(200);
  });
});
