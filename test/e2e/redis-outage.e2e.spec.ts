import { createTestApp, TestApp } from '../utils/test-app';
import { bearer, createUser, expectErrorEnvelope, RegisteredUser } from '../utils/factories';
import { PrivateRedis, waitFor } from '../utils/redis-server';

/** Stops and restarts a private redis-server under a running app. */
describe('Redis outage', () => {
  let redis: PrivateRedis;
  let t: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    t = await createTestApp({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'outage:' });
    user = await createUser(t.http);
  });
  afterAll(async () => {
    await t.close();
    await redis.stop();
  });

  it('readiness 503 within 5 s, API 503 within 2 s (fail closed), live stays 200, all recover', async () => {
    await t.http.get('/health/ready').expect(200);
    await redis.stop();

    const turnedUnready = await waitFor(
      async () => (await t.http.get('/health/ready')).status === 503,
      5000,
    );
    expect(turnedUnready).toBeLessThan(5000);
    const ready = await t.http.get('/health/ready').expect(503);
    expect(ready.body.status).toBe('error');
    expect(ready.body.details.redis.status).toBe('down');
    await t.http.get('/health/live').expect(200);

    const started = Date.now();
    const me = await t.http.get('/api/users/me').set(bearer(user.accessToken));
    expect(me.status).toBe(503);
    expectErrorEnvelope(me.body, 'SERVICE_UNAVAILABLE');
    const login = await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password });
    expect(login.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(4000);

    await redis.restart();
    await waitFor(async () => (await t.http.get('/health/ready')).status === 200, 15000);
    await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
    await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
  });
});
