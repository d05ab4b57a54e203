import { Client } from 'pg';
import {
  DataSource,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';
import { isDependencyDown } from '../../src/common/dependency-errors';
import { createTestApp, TestApp } from '../utils/test-app';
import { createTestStorage, TestStorage, usingPostgres } from '../utils/test-env';
import { bearer, createUser, expectErrorEnvelope, RegisteredUser } from '../utils/factories';
import { waitFor } from '../utils/redis-server';
import { TcpProxy } from '../utils/tcp-proxy';

// PostgreSQL can only go away when it is a server: runs in the PostgreSQL + Redis pass.
const describeOnPostgres = usingPostgres ? describe : describe.skip;

describeOnPostgres('PostgreSQL outage (network blackhole)', () => {
  let storage: TestStorage;
  let proxy: TcpProxy;
  let t: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    storage = await createTestStorage();
    const direct = new URL(storage.env.DATABASE_URL);
    proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(storage.env.DATABASE_URL);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    t = await createTestApp({ DATABASE_URL: viaProxy.toString() }, storage);
    user = await createUser(t.http);
  });
  afterAll(async () => {
    await t.close({ keepStorage: true });
    await proxy.stop();
    await storage.cleanup();
  });

  it('answers 503 within 2 s, turns unready, stays live, and recovers by itself', async () => {
    await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
    proxy.blackhole();

    for (const send of [
      () => t.http.get('/api/users/me').set(bearer(user.accessToken)),
      () => t.http.post('/api/auth/login').send({ email: user.email, password: user.password }),
    ]) {
      const started = Date.now();
      const res = await send();
      expect(res.status).toBe(503);
      expectErrorEnvelope(res.body, 'SERVICE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(2500);
    }
    const ready = await t.http.get('/health/ready').expect(503);
    expect(ready.body.details.database.status).toBe('down');
    await t.http.get('/health/live').expect(200);

    await proxy.restore();
    await waitFor(async () => (await t.http.get('/health/ready')).status === 200, 15000);
    await waitFor(
      async () => (await t.http.get('/api/users/me').set(bearer(user.accessToken))).status === 200,
      5000,
    );
    await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
  });
});

describeOnPostgres('PostgreSQL connection lost inside a transaction', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  // TypeORM releases a query runner whose connection emitted 'error', so the transaction's
  // next statement throws QueryRunnerAlreadyReleasedError: the service must take it for an
  // outage (503), not for a bug (500).
  it('reports the next statement as a dependency outage', async () => {
    const runner = t.app.get(DataSource).createQueryRunner();
    await runner.startTransaction();
    const [{ pid }] = await runner.query('SELECT pg_backend_pid() AS pid');
    const admin = new Client({ connectionString: t.storage.env.DATABASE_URL });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.end();
    await waitFor(() => Promise.resolve(runner.isReleased), 5000);

    const error = await runner.query('SELECT 1').then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(QueryRunnerAlreadyReleasedError);
    expect(isDependencyDown(error)).toBe(true);
    // Repositories reach it through the runner's EntityManager: another error class.
    const viaManager = await runner.manager.query('SELECT 1').then(
      () => null,
      (err: unknown) => err,
    );
    expect(viaManager).toBeInstanceOf(QueryRunnerProviderAlreadyReleasedError);
    expect(isDependencyDown(viaManager)).toBe(true);
  });
});
