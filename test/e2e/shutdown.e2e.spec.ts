import { drainAndClose, shutdownGracefully } from '../../src/shutdown';
import { createTestApp, TestApp } from '../utils/test-app';
import { createUser } from '../utils/factories';

describe('graceful shutdown', () => {
  let t: TestApp;
  afterAll(() => t.storage.cleanup());

  it('finishes a request in flight before closing the database, then refuses new ones', async () => {
    t = await createTestApp({ BCRYPT_ROUNDS: '12' });
    const user = await createUser(t.http);
    await t.app.listen(0, '127.0.0.1');
    const url = await t.app.getUrl();

    // A cost-12 login takes ~200 ms: SIGTERM's drain starts while it is in flight.
    const inFlight = fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const closed = drainAndClose(t.app);

    const res = await inFlight;
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: { login_count: number } };
    expect(body.user.login_count).toBe(1);
    await closed;
    expect(Date.now() - started).toBeLessThan(10000);
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});

describe('drain before close (SIGTERM)', () => {
  let t: TestApp;
  afterAll(() => t.storage.cleanup());

  it('turns unready at once, keeps serving with Connection: close, then stops accepting', async () => {
    t = await createTestApp();
    const user = await createUser(t.http);
    await t.app.listen(0, '127.0.0.1');
    const url = await t.app.getUrl();
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);

    const started = Date.now();
    const stopped = shutdownGracefully(t.app, 1);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'error' });
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('connection')).toBe('close');
    expect((await fetch(`${url}/health/live`)).status).toBe(200);

    await stopped;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});
