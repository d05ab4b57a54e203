import { randomBytes } from 'node:crypto';
import { createTestApp, TestApp } from '../utils/test-app';
import { bearer, createUser, login, STRONG_PASSWORD } from '../utils/factories';

interface LogLine {
  msg?: string;
  reqId?: string;
  route?: string;
  status?: number;
  responseTime?: number;
  userId?: string;
  [key: string]: unknown;
}

/**
 * Pino writes to `process.stdout` itself when its `write` has been replaced, so spying on it
 * before the app is built captures the exact lines a log shipper would read from stdout.
 */
function captureStdout() {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    chunks.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
    return true;
  });
  return {
    raw: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== ''),
    restore: () => spy.mockRestore(),
  };
}

const requestId = () => `logtest-${randomBytes(6).toString('hex')}`;

describe('request logs', () => {
  let t: TestApp;
  let stdout: ReturnType<typeof captureStdout>;

  beforeAll(async () => {
    stdout = captureStdout();
    t = await createTestApp({ LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    await t?.close();
    stdout.restore();
  });

  /** The line is written on the response's `finish` event, which may trail the client. */
  const completedLine = async (reqId: string): Promise<LogLine> => {
    const find = () =>
      stdout
        .lines()
        .map((line) => JSON.parse(line) as LogLine)
        .filter((line) => line.reqId === reqId && line.msg === 'request completed');
    for (let i = 0; i < 50 && find().length === 0; i++) {
      await new Promise((done) => setTimeout(done, 20));
    }
    const found = find();
    expect(found).toHaveLength(1);
    return found[0];
  };

  it('writes one JSON line per request with id, route, status, latency and user id', async () => {
    const user = await createUser(t.http);
    const id = requestId();
    const res = await t.http
      .get('/api/users/me')
      .set(bearer(user.accessToken))
      .set('X-Request-Id', id);
    expect(res.status).toBe(200);

    const line = await completedLine(id);
    expect(line).toMatchObject({ reqId: id, route: '/api/users/me', status: 200, userId: user.id });
    expect(typeof line.responseTime).toBe('number');
    expect(line.level).toBe(30);
  });

  it('logs the route pattern, not the URL with its ids', async () => {
    const user = await createUser(t.http);
    const sessions = await t.http.get('/api/sessions').set(bearer(user.accessToken));
    const sid = sessions.body.data[0].id as string;
    const id = requestId();
    await t.http
      .delete(`/api/sessions/${sid}`)
      .set(bearer(user.accessToken))
      .set('X-Request-Id', id)
      .expect(204);
    expect(await completedLine(id)).toMatchObject({
      route: '/api/sessions/:id',
      status: 204,
      userId: user.id,
    });
  });

  it('has no user id when the request is anonymous or its token is refused', async () => {
    const unknown = requestId();
    await t.http.get('/no/such/route').set('X-Request-Id', unknown).expect(404);
    const unmatched = await completedLine(unknown);
    expect(unmatched).toMatchObject({ route: 'unmatched', status: 404 });
    expect(unmatched).not.toHaveProperty('userId');

    const refused = requestId();
    await t.http
      .get('/api/users/me')
      .set('Authorization', 'Bearer not-a-token')
      .set('X-Request-Id', refused)
      .expect(401);
    const line = await completedLine(refused);
    expect(line).toMatchObject({ route: '/api/users/me', status: 401 });
    expect(line).not.toHaveProperty('userId');
  });

  it('never writes passwords, tokens or the Authorization header', async () => {
    const password = `Lg${randomBytes(6).toString('hex')}!9`;
    const user = await createUser(t.http, { password });
    const tokens = await login(t.http, user.email, password);
    await t.http.post('/api/auth/login').send({ email: user.email, password: `${password}x` });
    const rotated = await t.http
      .post('/api/auth/refresh')
      .send({ refresh_token: tokens.refreshToken });
    expect(rotated.status).toBe(200);
    await t.http
      .post('/api/auth/change-password')
      .set(bearer(tokens.accessToken))
      .send({ current_password: password, new_password: STRONG_PASSWORD })
      .expect(204);
    await t.http
      .get('/api/users/me')
      .set('Cookie', 'session=cookie-secret-value')
      .set(bearer(tokens.accessToken));

    const raw = stdout.raw();
    for (const secret of [
      password,
      STRONG_PASSWORD,
      user.accessToken,
      user.refreshToken,
      tokens.accessToken,
      tokens.refreshToken,
      rotated.body.tokens.access_token as string,
      rotated.body.tokens.refresh_token as string,
      'cookie-secret-value',
    ]) {
      expect(raw).not.toContain(secret);
    }
    expect(raw).not.toMatch(/"authorization"\s*:\s*"Bearer/i);
    expect(raw).not.toMatch(/\$2[aby]\$/);
    for (const line of stdout.lines()) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});
