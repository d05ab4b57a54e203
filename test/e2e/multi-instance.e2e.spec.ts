import { createTestApp, TestApp } from '../utils/test-app';
import { createTestStorage, TestStorage, usingRedis } from '../utils/test-env';
import {
  bearer,
  createUser,
  expectErrorEnvelope,
  login,
  RegisteredUser,
  uniqueEmail,
} from '../utils/factories';
import { enrolTotp, passwordStep, Secrets, TestClock } from '../utils/mfa';
import { PrivateRedis } from '../utils/redis-server';

/**
 * Two app instances on one database and one Redis, as replicas behind a load balancer:
 * what one of them decides holds on the other.
 */
describe('two instances', () => {
  let storage: TestStorage;
  let privateRedis: PrivateRedis | undefined;
  let a: TestApp;
  let b: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    storage = await createTestStorage();
    const env: Record<string, string> = { RATE_LIMIT_REGISTER: '3/60', LOCKOUT_MAX_ATTEMPTS: '3' };
    if (!usingRedis) {
      privateRedis = await PrivateRedis.start();
      Object.assign(env, { REDIS_URL: privateRedis.url, REDIS_KEY_PREFIX: 'multi:' });
    }
    a = await createTestApp(env, storage);
    b = await createTestApp(env, storage);
    user = await createUser(a.http);
  });
  afterAll(async () => {
    await a.close({ keepStorage: true });
    await b.close({ keepStorage: true });
    await storage.cleanup();
    await privateRedis?.stop();
  });

  it('shares rate-limit counters', async () => {
    await createUser(b.http);
    await createUser(a.http);
    const res = await b.http
      .post('/api/auth/register')
      .send({ email: uniqueEmail(), password: 'Xk9#mP2$vL7q' });
    expect(res.status).toBe(429);
    expect((await a.http.post('/api/auth/register').send({})).status).toBe(429);
  });

  it('shares lockouts', async () => {
    const email = uniqueEmail('locked');
    await a.http.post('/api/auth/login').send({ email, password: 'Wrong#Pass1' }).expect(401);
    await b.http.post('/api/auth/login').send({ email, password: 'Wrong#Pass1' }).expect(401);
    await a.http.post('/api/auth/login').send({ email, password: 'Wrong#Pass1' }).expect(401);
    const locked = await b.http
      .post('/api/auth/login')
      .send({ email, password: 'Wrong#Pass1' })
      .expect(401);
    expectErrorEnvelope(locked.body, 'ACCOUNT_LOCKED');
  });

  it('shares revocations: a logout on one kills the token on the other', async () => {
    const session = await login(a.http, user.email, user.password);
    await b.http.get('/api/users/me').set(bearer(session.accessToken)).expect(200);
    await a.http.post('/api/auth/logout').set(bearer(session.accessToken)).expect(204);
    await b.http.get('/api/users/me').set(bearer(session.accessToken)).expect(401);
    await b.http
      .post('/api/auth/refresh')
      .send({ refresh_token: session.refreshToken })
      .expect(401);
    await b.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
  });

  it('finishes on one instance an MFA login started on the other', async () => {
    const clock = new TestClock([a, b]);
    const seen = new Secrets();
    const mfaUser = user; // the register rate limit (3/60) is spent by now
    const { secret } = await enrolTotp(a, clock, mfaUser.accessToken, seen);
    clock.nextStep();
    const token = await passwordStep(a, mfaUser.email, mfaUser.password, seen);
    const res = await b.http
      .post('/api/auth/mfa/verify')
      .send({ mfa_token: token, code: clock.code(secret) })
      .expect(200);
    expect(res.body.user).toMatchObject({ id: mfaUser.id, two_factor_enabled: true });
    // the other instance sees the token spent and the code used
    const again = await passwordStep(b, mfaUser.email, mfaUser.password, seen);
    const replay = await a.http
      .post('/api/auth/mfa/verify')
      .send({ mfa_token: again, code: clock.code(secret) })
      .expect(401);
    expectErrorEnvelope(replay.body, 'INVALID_MFA_CODE');
    await a.http
      .post('/api/auth/mfa/verify')
      .send({ mfa_token: token, code: clock.code(secret, 1) })
      .expect(401);
  });
});
