import type { AddressInfo } from 'node:net';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  exportSPKI,
  type JSONWebKeySet,
  jwtVerify,
  SignJWT,
} from 'jose';
import { TransactionHost } from '@nestjs-cls/transactional';
import { DataSource } from 'typeorm';
import { runCli } from '../../src/cli/cli';
import { Clock } from '../../src/common/clock';
import {
  ROTATION_LEAD_SECONDS,
  SigningKeysService,
} from '../../src/signing-keys/signing-keys.service';
import { bearer, createUser, expectErrorEnvelope, login } from '../utils/factories';
import { advanceClock, decodeJose, privateKeyOf } from '../utils/signing-keys';
import { createTestApp, FAST_ENV, TestApp } from '../utils/test-app';
import { createTestStorage, usingPostgres, usingRedis } from '../utils/test-env';

/**
 * Tokens other services verify themselves. Every check of a signature here is made by
 * `jose` against the JWKS the service serves (never the service's own verification code).
 */

const me = (t: TestApp, token: string) => t.http.get('/api/users/me').set(bearer(token));

async function jwksOf(t: TestApp) {
  const res = await t.http.get('/.well-known/jwks.json').expect(200);
  const maxAge = Number(/^public, max-age=(\d+)$/.exec(res.headers['cache-control'])?.[1]);
  return { jwks: res.body as JSONWebKeySet, maxAge };
}

const verifyWith = (t: TestApp, jwks: JSONWebKeySet, token: string) =>
  jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: t.config.jwt.issuer,
    audience: t.config.jwt.audience,
    algorithms: [t.config.jwt.algorithm],
  });

async function listen(t: TestApp): Promise<string> {
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

describe.each(['RS256', 'ES256', 'EdDSA'] as const)('JWT_ALGORITHM=%s', (alg) => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp({ JWT_ALGORITHM: alg, PUBLIC_URL: 'https://auth.example.test/' });
    base = await listen(t);
  });
  afterAll(() => t.close());

  it('every token carries a kid an independent verifier finds in the served JWKS', async () => {
    const user = await createUser(t.http);
    const { jwks, maxAge } = await jwksOf(t);
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ kid: expect.any(String), alg, use: 'sig' });
    expect(key).not.toHaveProperty('d');
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(t.config.jwt.keyRotationSeconds);
    for (const token of [user.accessToken, user.refreshToken]) {
      expect(decodeJose(token, 0)).toEqual({ alg, typ: 'JWT', kid: key.kid });
      const { payload } = await verifyWith(t, jwks, token);
      expect(payload.sub).toBe(user.id);
    }
    // The way a resource server would do it: fetched over HTTP.
    const remote = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
    await expect(
      jwtVerify(user.accessToken, remote, { issuer: t.config.jwt.issuer, algorithms: [alg] }),
    ).resolves.toBeTruthy();
    await me(t, user.accessToken).expect(200);
  });

  it('refreshed tokens are signed the same way', async () => {
    const user = await createUser(t.http);
    const res = await t.http
      .post('/api/auth/refresh')
      .send({ refresh_token: user.refreshToken })
      .expect(200);
    const { jwks } = await jwksOf(t);
    await verifyWith(t, jwks, res.body.tokens.access_token);
    await me(t, res.body.tokens.access_token).expect(200);
  });

  it('an HS256 token made with JWT_SECRET_KEY is refused', async () => {
    const user = await createUser(t.http);
    const claims = decodeJose(user.accessToken, 1);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(FAST_ENV.JWT_SECRET_KEY));
    const res = await me(t, forged).expect(401);
    expectErrorEnvelope(res.body, 'UNAUTHORIZED');
    const refresh = await new SignJWT(decodeJose(user.refreshToken, 1))
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(FAST_ENV.JWT_SECRET_KEY));
    await t.http.post('/api/auth/refresh').send({ refresh_token: refresh }).expect(401);
  });

  it('the public key used as an HS256 secret is refused (algorithm confusion)', async () => {
    const user = await createUser(t.http);
    const { kid } = decodeJose(user.accessToken, 0) as { kid: string };
    const { jwks } = await jwksOf(t);
    const publicKey = await createLocalJWKSet(jwks)({ alg, kid });
    const pem = await exportSPKI(publicKey);
    const forged = await new SignJWT(decodeJose(user.accessToken, 1))
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid })
      .sign(new TextEncoder().encode(pem));
    await me(t, forged).expect(401);
  });

  it('the discovery document points at the JWKS and the introspection endpoint', async () => {
    const res = await t.http.get('/.well-known/openid-configuration').expect(200);
    expect(res.body).toMatchObject({
      issuer: t.config.jwt.issuer,
      jwks_uri: 'https://auth.example.test/.well-known/jwks.json',
      introspection_endpoint: 'https://auth.example.test/api/auth/introspect',
      id_token_signing_alg_values_supported: [alg],
    });
  });

  it('the private key is stored sealed, never as PEM or JWK', async () => {
    const rows = await t.app
      .get(DataSource)
      .query<Array<{ private_key_sealed: string }>>('SELECT private_key_sealed FROM signing_keys');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.private_key_sealed).toMatch(/^v1\.[A-Za-z0-9_.-]+$/);
      expect(row.private_key_sealed).not.toContain('PRIVATE KEY');
    }
  });
});

describe('JWT_ALGORITHM=HS256 (default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('publishes no keys and names HS256 in discovery', async () => {
    const res = await t.http.get('/.well-known/jwks.json').expect(200);
    expect(res.body).toEqual({ keys: [] });
    expect(res.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
    const config = await t.http.get('/.well-known/openid-configuration').expect(200);
    expect(config.body).toMatchObject({
      jwks_uri: `http://localhost:${t.config.port}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['HS256'],
    });
  });

  it('tokens carry no kid', async () => {
    const user = await createUser(t.http);
    expect(decodeJose(user.accessToken, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
  });
});

describe('scheduled rotation (clock seam)', () => {
  // A rotation every 1000 s, published 200 s ahead; tokens live 300 s (access) and 600 s (refresh).
  const ROTATION = 1000;
  const PREPUBLISH = 200;
  let t: TestApp;
  let keys: SigningKeysService;

  beforeAll(async () => {
    t = await createTestApp({
      JWT_ALGORITHM: 'EdDSA',
      JWT_KEY_ROTATION_SECONDS: String(ROTATION),
      JWT_KEY_PREPUBLISH_SECONDS: String(PREPUBLISH),
      ACCESS_TOKEN_TTL_SECONDS: '300',
      REFRESH_TOKEN_TTL_SECONDS: '600',
    });
    keys = t.app.get(SigningKeysService);
  });
  afterAll(() => t.close());

  const advance = (seconds: number) => advanceClock(t, seconds);
  const nowMs = () => t.app.get(Clock).now().getTime();
  const kidOf = (token: string) => decodeJose(token, 0).kid as string;

  it('publishes the next key before it signs, keeps old tokens until they expire, then drops the key', async () => {
    const user = await createUser(t.http);
    const first = kidOf(user.accessToken);
    let published = await jwksOf(t);
    expect(published.jwks.keys.map((k) => k.kid)).toEqual([first]);
    expect(published.maxAge).toBeLessThanOrEqual(ROTATION);

    // Not due yet: nothing new.
    advance(ROTATION - PREPUBLISH - 10);
    await keys.maintain();
    expect((await jwksOf(t)).jwks.keys).toHaveLength(1);

    // Due: the next key is published while the first still signs.
    advance(20);
    const publishedAt = nowMs();
    await keys.maintain();
    published = await jwksOf(t);
    const kids = published.jwks.keys.map((k) => k.kid);
    expect(kids).toHaveLength(2);
    const second = kids.find((kid) => kid !== first)!;
    expect(published.maxAge).toBeLessThanOrEqual(PREPUBLISH);
    const beforeSwitch = await login(t.http, user.email, user.password);
    expect(kidOf(beforeSwitch.accessToken)).toBe(first);
    const [row] = await t.app
      .get(DataSource)
      .query<Array<{ activates_at: Date; created_at: Date }>>(
        'SELECT activates_at, created_at FROM signing_keys WHERE kid = $1',
        [second],
      );
    // Activation is kept to whole seconds.
    expect(row.activates_at.getTime() - publishedAt).toBeGreaterThanOrEqual(
      (PREPUBLISH - 1) * 1000,
    );

    // The second key signs once its time comes; the first key's tokens still work.
    advance(PREPUBLISH);
    const afterSwitch = await login(t.http, user.email, user.password);
    expect(kidOf(afterSwitch.accessToken)).toBe(second);
    await me(t, beforeSwitch.accessToken).expect(200);
    await t.http
      .post('/api/auth/refresh')
      .send({ refresh_token: beforeSwitch.refreshToken })
      .expect(200);
    published = await jwksOf(t);
    expect(published.jwks.keys.map((k) => k.kid).sort()).toEqual([first, second].sort());
    await verifyWith(t, published.jwks, afterSwitch.accessToken);

    // A token of the retired key issued after its retirement: refused, though validly signed.
    const late = await new SignJWT(decodeJose(beforeSwitch.accessToken, 1))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: first })
      .setIssuedAt(Math.floor(nowMs() / 1000))
      .sign(await privateKeyOf(t, first));
    await me(t, late).expect(401);

    // Past the old access token's expiry: refused.
    advance(300);
    await me(t, beforeSwitch.accessToken).expect(401);
    // Past the longest token life after retirement: the first key leaves the JWKS.
    advance(301);
    await keys.maintain();
    published = await jwksOf(t);
    expect(published.jwks.keys.map((k) => k.kid)).not.toContain(first);
    expect(published.jwks.keys.map((k) => k.kid)).toContain(second);
  });

  it('audits each key creation as SIGNING_KEY_ROTATED without key material', async () => {
    const rows = await t.app
      .get(DataSource)
      .query<Array<{ details: Record<string, unknown> }>>(
        `SELECT details FROM audit_logs WHERE action = 'SIGNING_KEY_ROTATED' ORDER BY created_at`,
      );
    expect(rows.map((r) => r.details.reason)).toEqual(['initial', 'scheduled']);
    expect(JSON.stringify(rows)).not.toMatch(/PRIVATE|"d":/);
  });
});

describe('key revocation and manual rotation', () => {
  let a: TestApp;
  let b: TestApp;
  const env = { JWT_ALGORITHM: 'ES256' };
  const multi = usingPostgres && usingRedis;

  beforeAll(async () => {
    if (multi) {
      // Two replicas on one database and Redis, started together.
      const storage = await createTestStorage();
      [a, b] = await Promise.all([createTestApp(env, storage), createTestApp(env, storage)]);
    } else {
      a = await createTestApp(env);
      b = a;
    }
  });
  afterAll(async () => {
    if (b !== a) await b.close({ keepStorage: true });
    await a.close();
  });

  /** Each replica polls the key generation every second. */
  const replicasCatchUp = () => new Promise((resolve) => setTimeout(resolve, multi ? 1300 : 0));

  /** `npm run cli -- keys …` against the same storage (embedded: the service's own method). */
  async function keysCli(...args: string[]) {
    if (!multi) {
      const keys = a.app.get(SigningKeysService);
      if (args[0] === 'rotate') await keys.rotate();
      else expect((await keys.revoke(args[1])).revoked).toBe(true);
      return;
    }
    let out = '';
    // The CLI is its own process in real life; in this one, its Nest context must not leave
    // its (then closed) TransactionHost as the one @Transactional() finds for the replicas.
    const hosts = (TransactionHost as unknown as { _instanceMap: Map<unknown, unknown> })
      ._instanceMap;
    const replicasHosts = new Map(hosts);
    try {
      const code = await runCli(['keys', ...args], {
        env: { ...process.env, ...FAST_ENV, ...a.storage.env, ...env },
        stdin: process.stdin,
        stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
        stderr: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
      });
      expect({ code, out }).toMatchObject({ code: 0 });
    } finally {
      hosts.clear();
      replicasHosts.forEach((host, key) => hosts.set(key, host));
    }
  }

  it('replicas started together agree on one key', async () => {
    const rows = await a.app
      .get(DataSource)
      .query<Array<{ kid: string }>>('SELECT kid FROM signing_keys');
    expect(rows).toHaveLength(1);
    expect((await jwksOf(a)).jwks).toEqual((await jwksOf(b)).jwks);
    const user = await createUser(a.http);
    await me(b, user.accessToken).expect(200);
  });

  it('keys rotate: the next key signs everywhere; earlier tokens keep working', async () => {
    const user = await createUser(a.http);
    const before = decodeJose(user.accessToken, 0).kid;
    await keysCli('rotate');
    await replicasCatchUp();
    // The rotated key signs a few seconds after the command.
    for (const t of [a, b]) advanceClock(t, ROTATION_LEAD_SECONDS + 1);
    const fresh = await login(b.http, user.email, user.password);
    const after = decodeJose(fresh.accessToken, 0).kid;
    expect(after).not.toBe(before);
    const fromA = await login(a.http, user.email, user.password);
    expect(decodeJose(fromA.accessToken, 0).kid).toBe(after);
    await me(a, user.accessToken).expect(200);
    await me(b, fresh.accessToken).expect(200);
    const audit = await a.app
      .get(DataSource)
      .query<Array<{ details: { reason: string } }>>(
        `SELECT details FROM audit_logs WHERE action = 'SIGNING_KEY_ROTATED'`,
      );
    expect(audit.map((r) => r.details.reason)).toContain('manual');
  });

  it('keys revoke kills the tokens it signed on every replica at once', async () => {
    const user = await createUser(a.http);
    const kid = decodeJose(user.accessToken, 0).kid as string;
    await me(a, user.accessToken).expect(200);
    await me(b, user.accessToken).expect(200);
    await keysCli('revoke', kid);
    for (const t of [a, b]) {
      const res = await me(t, user.accessToken).expect(401);
      expectErrorEnvelope(res.body, 'UNAUTHORIZED');
    }
    await b.http.post('/api/auth/refresh').send({ refresh_token: user.refreshToken }).expect(401);
    await replicasCatchUp();
    for (const t of [a, b]) {
      expect((await jwksOf(t)).jwks.keys.map((k) => k.kid)).not.toContain(kid);
    }
    // The replacement signs as soon as the replicas have loaded it, and works on both.
    const fresh = await login(a.http, user.email, user.password);
    expect(decodeJose(fresh.accessToken, 0).kid).not.toBe(kid);
    await me(b, fresh.accessToken).expect(200);
    const [row] = await a.app
      .get(DataSource)
      .query<Array<{ details: Record<string, unknown> }>>(
        `SELECT details FROM audit_logs WHERE action = 'SIGNING_KEY_REVOKED'`,
      );
    expect(row.details.kid).toBe(kid);
  });
});
