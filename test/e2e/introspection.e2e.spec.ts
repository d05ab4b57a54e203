import { DataSource } from 'typeorm';
import { bearer, createUser, expectErrorEnvelope } from '../utils/factories';
import { advanceClock } from '../utils/signing-keys';
import { createTestApp, TestApp } from '../utils/test-app';

const INTROSPECTION_TOKEN = 'introspection-token-0123456789abcdef';

describe.each([
  ['HS256', {}],
  ['EdDSA', { JWT_ALGORITHM: 'EdDSA' }],
] as const)('POST /api/auth/introspect (%s)', (_alg, env) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      ...env,
      INTROSPECTION_TOKEN,
      ACCESS_TOKEN_TTL_SECONDS: '60',
      BODY_LIMIT_BYTES: '2048',
    });
  });
  afterAll(() => t.close());

  const introspectJson = (token: unknown) =>
    t.http.post('/api/auth/introspect').set(bearer(INTROSPECTION_TOKEN)).send({ token });
  const introspectForm = (body: string) =>
    t.http.post('/api/auth/introspect').set(bearer(INTROSPECTION_TOKEN)).type('form').send(body);

  it('a valid access token: active, with the contract fields (JSON and form)', async () => {
    const user = await createUser(t.http);
    for (const res of [
      await introspectJson(user.accessToken),
      await introspectForm(`token=${user.accessToken}&token_type_hint=access_token`),
    ]) {
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(Object.keys(res.body).sort()).toEqual(
        [
          'active',
          'sub',
          'sid',
          'role',
          'jti',
          'iat',
          'exp',
          'iss',
          'aud',
          'aal',
          'token_type',
        ].sort(),
      );
      expect(res.body).toMatchObject({
        active: true,
        sub: user.id,
        role: 'user',
        iss: t.config.jwt.issuer,
        aud: t.config.jwt.audience,
        aal: 'aal1',
        token_type: 'access_token',
      });
    }
  });

  it('a revoked token turns inactive at once', async () => {
    const user = await createUser(t.http);
    expect((await introspectJson(user.accessToken)).body.active).toBe(true);
    await t.http.post('/api/auth/logout').set(bearer(user.accessToken)).expect(204);
    expect((await introspectJson(user.accessToken)).body).toEqual({ active: false });
  });

  it('a deactivated user’s token is inactive', async () => {
    const user = await createUser(t.http);
    await t.app
      .get(DataSource)
      .query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
    expect((await introspectJson(user.accessToken)).body).toEqual({ active: false });
  });

  it('refresh tokens and garbage are inactive', async () => {
    const user = await createUser(t.http);
    for (const token of [user.refreshToken, 'garbage', 'a.b.c', '', 'x'.repeat(1500)]) {
      const res = await introspectForm(`token=${encodeURIComponent(token)}`);
      expect({ token, status: res.status, body: res.body }).toEqual({
        token,
        status: 200,
        body: { active: false },
      });
    }
  });

  it('an expired token is inactive', async () => {
    const user = await createUser(t.http);
    advanceClock(t, 70);
    try {
      expect((await introspectJson(user.accessToken)).body).toEqual({ active: false });
    } finally {
      advanceClock(t, -70);
    }
  });

  it('needs the INTROSPECTION_TOKEN bearer: missing or wrong → 401', async () => {
    const user = await createUser(t.http);
    const missing = await t.http.post('/api/auth/introspect').send({ token: user.accessToken });
    expect(missing.status).toBe(401);
    expectErrorEnvelope(missing.body, 'UNAUTHORIZED');
    const wrong = await t.http
      .post('/api/auth/introspect')
      .set(bearer(user.accessToken))
      .type('form')
      .send(`token=${user.accessToken}`);
    expect(wrong.status).toBe(401);
    expectErrorEnvelope(wrong.body, 'UNAUTHORIZED');
  });

  it('bad bodies get the envelope: no token → 400, repeated token → 400, over the limit → 413', async () => {
    const none = await introspectForm('');
    expect(none.status).toBe(400);
    expectErrorEnvelope(none.body, 'VALIDATION_ERROR');
    const twice = await introspectForm('token=a&token=b');
    expect(twice.status).toBe(400);
    expectErrorEnvelope(twice.body, 'VALIDATION_ERROR');
    const huge = await introspectForm(`token=${'x'.repeat(4000)}`);
    expect(huge.status).toBe(413);
    expectErrorEnvelope(huge.body, 'PAYLOAD_TOO_LARGE');
  });

  it('form bodies stay 415 on every other route', async () => {
    const res = await t.http
      .post('/api/auth/login')
      .type('form')
      .send('email=a@example.com&password=x');
    expect(res.status).toBe(415);
    expectErrorEnvelope(res.body, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('POST /api/auth/introspect without INTROSPECTION_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers 404 like an unknown route', async () => {
    const res = await t.http
      .post('/api/auth/introspect')
      .set(bearer('anything-at-all-0123456789'))
      .send({ token: 'x' });
    expect(res.status).toBe(404);
    expectErrorEnvelope(res.body, 'NOT_FOUND');
  });
});
