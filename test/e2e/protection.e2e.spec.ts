import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../utils/test-app';
import { createUser, expectErrorEnvelope, STRONG_PASSWORD, uniqueEmail } from '../utils/factories';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      RATE_LIMIT_LOGIN: '3/60',
      RATE_LIMIT_REGISTER: '10/3600',
      RATE_LIMIT_REFRESH: '4/60',
    });
  });
  afterAll(() => t.close());

  it('counts every request of a route per IP, with headers, then 429 in the envelope', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.http
        .post('/api/auth/login')
        .send({ email: uniqueEmail(), password: 'Whatever#1' });
      expect(res.status).toBe(401);
      expect(res.headers['x-ratelimit-limit']).toBe('3');
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
      remaining.push(res.headers['x-ratelimit-remaining']);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const limited = await t.http
      .post('/api/auth/login')
      .send({ email: 'not-even-valid' })
      .expect(429);
    expectErrorEnvelope(limited.body, 'TOO_MANY_REQUESTS');
    expect(limited.body.error.retry_after).toBeGreaterThan(0);
    expect(limited.headers['retry-after']).toBe(String(limited.body.error.retry_after));
    expect(limited.headers['x-ratelimit-limit']).toBe('3');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    // Other routes keep their own counters; unlimited routes carry no headers.
    const refresh = await t.http.post('/api/auth/refresh').send({ refresh_token: 'x' }).expect(401);
    expect(refresh.headers['x-ratelimit-limit']).toBe('4');
    const live = await t.http.get('/health/live').expect(200);
    expect(live.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('counts malformed bodies too, and answers them with the headers', async () => {
    const malformed = () =>
      t.http
        .post('/api/auth/refresh')
        .set('Content-Type', 'application/json')
        .send('{"refresh_token": ');
    const first = await malformed().expect(400);
    expectErrorEnvelope(first.body, 'BAD_REQUEST');
    expect(first.headers['x-ratelimit-limit']).toBe('4');
    expect(first.headers['x-ratelimit-remaining']).toBe('2'); // one refresh was made above
    await malformed().expect(400);
    const last = await malformed().expect(400);
    expect(last.headers['x-ratelimit-remaining']).toBe('0');
    await malformed().expect(429);
  });

  it('a spoofed X-Forwarded-For does not reset the limit when TRUST_PROXY is unset', async () => {
    const res = await t.http
      .post('/api/auth/login')
      .set('X-Forwarded-For', '203.0.113.77')
      .send({ email: uniqueEmail(), password: 'Whatever#1' });
    expect(res.status).toBe(429);
  });

  it('counts atomically: 50 parallel registrations, exactly 10 get through', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.http
          .post('/api/auth/register')
          .send({ email: uniqueEmail('burst'), password: STRONG_PASSWORD }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s !== 429)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
  });
});

describe('rate limits behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_LOGIN: '2/60', TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(() => t.close());

  it('limits each X-Forwarded-For client separately when the proxy is trusted', async () => {
    const attempt = (ip: string) =>
      t.http
        .post('/api/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: uniqueEmail(), password: 'Whatever#1' });
    expect((await attempt('198.51.100.1')).status).toBe(401);
    expect((await attempt('198.51.100.1')).status).toBe(401);
    expect((await attempt('198.51.100.1')).status).toBe(429);
    expect((await attempt('198.51.100.2')).status).toBe(401);
  });
});

describe('lockout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ LOCKOUT_MAX_ATTEMPTS: '5', LOCKOUT_DURATION_SECONDS: '1800' });
  });
  afterAll(() => t.close());

  const attempt = (email: string, password: string) =>
    t.http.post('/api/auth/login').send({ email, password });

  it('the 5th failure still says INVALID_CREDENTIALS and locks; then ACCOUNT_LOCKED even with the right password', async () => {
    const user = await createUser(t.http);
    for (let i = 0; i < 5; i++) {
      const res = await attempt(user.email, 'Wrong#Pass123');
      expectErrorEnvelope(res.body, 'INVALID_CREDENTIALS');
    }
    const locked = await attempt(user.email, user.password).expect(401);
    expectErrorEnvelope(locked.body, 'ACCOUNT_LOCKED');
    await wait(100);
    const rows = await t.app
      .get(DataSource)
      .query(
        `SELECT count(*)::int AS n FROM audit_logs WHERE user_id = $1 AND action = 'ACCOUNT_LOCKED'`,
        [user.id],
      );
    expect(rows[0].n).toBe(1);
  });

  it('locks unknown emails the same way (no enumeration)', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 5; i++)
      expectErrorEnvelope((await attempt(email, 'Wrong#Pass123')).body, 'INVALID_CREDENTIALS');
    expectErrorEnvelope((await attempt(email, 'Wrong#Pass123')).body, 'ACCOUNT_LOCKED');
  });

  it('a successful login clears the count', async () => {
    const user = await createUser(t.http);
    for (let i = 0; i < 4; i++) await attempt(user.email, 'Wrong#Pass123').expect(401);
    await attempt(user.email, user.password).expect(200);
    for (let i = 0; i < 4; i++) await attempt(user.email, 'Wrong#Pass123').expect(401);
    await attempt(user.email, user.password).expect(200);
  });

  it('a burst of 20 parallel wrong passwords verifies at most 5 and leaves the account locked', async () => {
    const user = await createUser(t.http);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => attempt(user.email, 'Wrong#Pass123')),
    );
    const codes = results.map((r) => r.body.error.code as string);
    expect(codes.filter((c) => c === 'INVALID_CREDENTIALS').length).toBeLessThanOrEqual(5);
    expect(codes.every((c) => c === 'INVALID_CREDENTIALS' || c === 'ACCOUNT_LOCKED')).toBe(true);
    await wait(200);
    const [verified] = await t.app
      .get(DataSource)
      .query(
        `SELECT count(*)::int AS n FROM audit_logs WHERE user_id = $1 AND action = 'LOGIN_FAILED' AND details->>'reason' = 'wrong_password'`,
        [user.id],
      );
    expect(verified.n).toBeLessThanOrEqual(5);
    expectErrorEnvelope((await attempt(user.email, user.password)).body, 'ACCOUNT_LOCKED');
  });
});

describe('lockout expiry', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ LOCKOUT_MAX_ATTEMPTS: '2', LOCKOUT_DURATION_SECONDS: '2' });
  });
  afterAll(() => t.close());

  it('attempts while locked do not extend the lock', async () => {
    const user = await createUser(t.http);
    for (let i = 0; i < 2; i++)
      await t.http.post('/api/auth/login').send({ email: user.email, password: 'Wrong#Pass1' });
    await wait(1200);
    const during = await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password });
    expectErrorEnvelope(during.body, 'ACCOUNT_LOCKED');
    await wait(1200);
    await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
  });
});
