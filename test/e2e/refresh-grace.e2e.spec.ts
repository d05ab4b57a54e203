import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../utils/test-app';
import { createTestStorage, TestStorage, usingRedis } from '../utils/test-env';
import { bearer, createUser, expectErrorEnvelope, login } from '../utils/factories';
import { PrivateRedis } from '../utils/redis-server';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as {
    exp: number;
    iat: number;
    sid: string;
  };

type Http = TestApp['http'];
const refresh = (http: Http, token: string) =>
  http.post('/api/auth/refresh').send({ refresh_token: token });

/** The session of `accessToken` is dead: its access token and `refreshToken` are refused. */
async function expectSessionDead(http: Http, accessToken: string, refreshToken: string) {
  await http.get('/api/users/me').set(bearer(accessToken)).expect(401);
  expectErrorEnvelope((await refresh(http, refreshToken).expect(401)).body, 'INVALID_TOKEN');
}

describe('refresh grace window (REFRESH_REUSE_GRACE_SECONDS=2)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ REFRESH_REUSE_GRACE_SECONDS: '2' });
  });
  afterAll(() => t.close());

  it('ten parallel refreshes with one token: all 200 with the identical pair, which works', async () => {
    const user = await createUser(t.http);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => refresh(t.http, user.refreshToken)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const pairs = new Set(results.map((r) => JSON.stringify(r.body.tokens)));
    expect(pairs.size).toBe(1);
    const tokens = results[0].body.tokens as { access_token: string; refresh_token: string };
    expect(tokens.refresh_token).not.toBe(user.refreshToken);
    // One session, one branch: the pair works, and its refresh token is the session's current one.
    await t.http.get('/api/users/me').set(bearer(tokens.access_token)).expect(200);
    const [session] = await t.app
      .get(DataSource)
      .query(`SELECT refresh_token_hash FROM user_sessions WHERE id = $1`, [
        claimsOf(tokens.refresh_token).sid,
      ]);
    expect(session.refresh_token_hash).toBe(sha256(tokens.refresh_token));
    await refresh(t.http, tokens.refresh_token).expect(200);
    // Audited: one rotation, nine replays.
    const rows: Array<{ details: { grace_replay?: boolean } }> = await t.app.get(DataSource).query(
      `SELECT details FROM audit_logs WHERE user_id = $1 AND action = 'TOKEN_REFRESHED'
          AND details->>'session_id' = $2`,
      [user.id, claimsOf(tokens.refresh_token).sid],
    );
    expect(rows.filter((r) => r.details.grace_replay === true)).toHaveLength(9);
    expect(rows.filter((r) => r.details.grace_replay === undefined)).toHaveLength(2);
  });

  it('a sequential retry within the window gets the same pair again', async () => {
    const user = await createUser(t.http);
    const first = await refresh(t.http, user.refreshToken).expect(200);
    const retry = await refresh(t.http, user.refreshToken).expect(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['cache-control']).toBe('no-store');
  });

  it('a use after the window → TOKEN_REUSED, and the session is dead', async () => {
    const user = await createUser(t.http);
    const rotated = await refresh(t.http, user.refreshToken).expect(200);
    await wait(2300);
    const reuse = await refresh(t.http, user.refreshToken).expect(401);
    expectErrorEnvelope(reuse.body, 'TOKEN_REUSED');
    await expectSessionDead(
      t.http,
      rotated.body.tokens.access_token,
      rotated.body.tokens.refresh_token,
    );
  });

  it('a use after the successor was used → TOKEN_REUSED, and the session is dead', async () => {
    const user = await createUser(t.http);
    const first = await refresh(t.http, user.refreshToken).expect(200);
    const second = await refresh(t.http, first.body.tokens.refresh_token).expect(200);
    const reuse = await refresh(t.http, user.refreshToken).expect(401);
    expectErrorEnvelope(reuse.body, 'TOKEN_REUSED');
    await expectSessionDead(
      t.http,
      second.body.tokens.access_token,
      second.body.tokens.refresh_token,
    );
  });

  it('keeps the pair sealed: the session row holds no token in readable form', async () => {
    const user = await createUser(t.http);
    const rotated = await refresh(t.http, user.refreshToken).expect(200);
    const [{ grace_pair: stored }] = await t.app
      .get(DataSource)
      .query(`SELECT grace_pair FROM user_sessions WHERE user_id = $1`, [user.id]);
    expect(stored).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    const { access_token, refresh_token } = rotated.body.tokens as Record<string, string>;
    for (const secret of [access_token, refresh_token, ...access_token.split('.')]) {
      expect(stored).not.toContain(secret);
    }
    expect(Buffer.from(stored.split('.')[1], 'base64url').toString('latin1')).not.toMatch(
      /access_token|eyJ/,
    );
  });
});

// One app for both settings: each boot of the embedded database costs seconds.
describe('grace window off (0) and a 4 s absolute lifetime', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      REFRESH_REUSE_GRACE_SECONDS: '0',
      SESSION_MAX_LIFETIME_SECONDS: '4',
      REFRESH_TOKEN_TTL_SECONDS: '60',
      ACCESS_TOKEN_TTL_SECONDS: '60',
    });
  });
  afterAll(() => t.close());

  it('a rotated token presented again at once is a reuse, as before', async () => {
    const user = await createUser(t.http);
    const rotated = await refresh(t.http, user.refreshToken).expect(200);
    const reuse = await refresh(t.http, user.refreshToken).expect(401);
    expectErrorEnvelope(reuse.body, 'TOKEN_REUSED');
    await expectSessionDead(
      t.http,
      rotated.body.tokens.access_token,
      rotated.body.tokens.refresh_token,
    );
    const [{ grace_pair }] = await t.app
      .get(DataSource)
      .query(`SELECT grace_pair FROM user_sessions WHERE user_id = $1`, [user.id]);
    expect(grace_pair).toBeNull();
  });

  it('no token or expires_at passes login + lifetime; refresh after it → INVALID_TOKEN', async () => {
    const user = await createUser(t.http);
    const session = await login(t.http, user.email, user.password);
    const loggedIn = claimsOf(session.refreshToken);
    const deadline = loggedIn.iat + 4;
    expect(loggedIn.exp).toBeLessThanOrEqual(deadline);
    expect(claimsOf(session.accessToken).exp).toBeLessThanOrEqual(deadline);

    await wait(1000);
    const rotated = await refresh(t.http, session.refreshToken).expect(200);
    const { access_token, refresh_token, expires_in } = rotated.body.tokens;
    expect(claimsOf(refresh_token).exp).toBeLessThanOrEqual(deadline);
    expect(claimsOf(access_token).exp).toBeLessThanOrEqual(deadline);
    expect(expires_in).toBeLessThanOrEqual(4);
    const listed = await t.http.get('/api/sessions').set(bearer(access_token)).expect(200);
    const current = listed.body.data.find((s: { current: boolean }) => s.current);
    expect(Date.parse(current.expires_at) / 1000).toBeLessThanOrEqual(deadline + 1);

    await wait((deadline + 1) * 1000 - Date.now());
    const late = await refresh(t.http, refresh_token).expect(401);
    expectErrorEnvelope(late.body, 'INVALID_TOKEN');
    // A new login starts a new lifetime.
    const again = await login(t.http, user.email, user.password);
    await refresh(t.http, again.refreshToken).expect(200);
  });

  it('a session whose expiry was never clamped is still refused past its lifetime', async () => {
    const user = await createUser(t.http);
    // A session from before this setting: started long ago, expiry still far away.
    await t.app.get(DataSource).query(
      `UPDATE user_sessions SET created_at = now() - interval '1 hour',
                expires_at = now() + interval '1 day' WHERE user_id = $1`,
      [user.id],
    );
    const late = await refresh(t.http, user.refreshToken).expect(401);
    expectErrorEnvelope(late.body, 'INVALID_TOKEN');
  });
});

/** Replicas behind a load balancer: one database, one Redis. */
describe('grace window across two instances', () => {
  let storage: TestStorage;
  let privateRedis: PrivateRedis | undefined;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    storage = await createTestStorage();
    const env: Record<string, string> = { REFRESH_REUSE_GRACE_SECONDS: '5' };
    if (!usingRedis) {
      privateRedis = await PrivateRedis.start();
      Object.assign(env, { REDIS_URL: privateRedis.url, REDIS_KEY_PREFIX: 'grace:' });
    }
    a = await createTestApp(env, storage);
    b = await createTestApp(env, storage);
  });
  afterAll(async () => {
    await a.close({ keepStorage: true });
    await b.close({ keepStorage: true });
    await storage.cleanup();
    await privateRedis?.stop();
  });

  it('a token rotated on one instance gets the same pair on the other', async () => {
    const user = await createUser(a.http);
    const onA = await refresh(a.http, user.refreshToken).expect(200);
    const onB = await refresh(b.http, user.refreshToken).expect(200);
    expect(onB.body).toEqual(onA.body);
    await b.http.get('/api/users/me').set(bearer(onA.body.tokens.access_token)).expect(200);
  });

  it('parallel refreshes split over both instances all get one pair', async () => {
    const user = await createUser(b.http);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => refresh(i % 2 ? a.http : b.http, user.refreshToken)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => JSON.stringify(r.body.tokens))).size).toBe(1);
  });

  it('once the successor was used on one instance, the old token is a reuse on the other', async () => {
    const user = await createUser(a.http);
    const first = await refresh(a.http, user.refreshToken).expect(200);
    await refresh(a.http, first.body.tokens.refresh_token).expect(200);
    expectErrorEnvelope(
      (await refresh(b.http, user.refreshToken).expect(401)).body,
      'TOKEN_REUSED',
    );
    await a.http.get('/api/users/me').set(bearer(first.body.tokens.access_token)).expect(401);
  });
});

describe('REFRESH_TOKEN_TTL_SECONDS raised between two refreshes', () => {
  it('the next token gets the new full TTL, not the old token’s expiry', async () => {
    const storage = await createTestStorage();
    const before = await createTestApp({ REFRESH_TOKEN_TTL_SECONDS: '60' }, storage);
    const user = await createUser(before.http);
    await before.close({ keepStorage: true });
    const after = await createTestApp({ REFRESH_TOKEN_TTL_SECONDS: '120' }, storage);
    try {
      const old = claimsOf(user.refreshToken);
      expect(old.exp - old.iat).toBe(60);
      const rotated = await refresh(after.http, user.refreshToken).expect(200);
      const next = claimsOf(rotated.body.tokens.refresh_token);
      expect(next.exp - next.iat).toBe(120);
      await refresh(after.http, rotated.body.tokens.refresh_token).expect(200);
    } finally {
      await after.close({ keepStorage: true });
      await storage.cleanup();
    }
  });
});
