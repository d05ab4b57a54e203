import { connect, Socket } from 'node:net';
import { createTestApp, TestApp } from '../utils/test-app';
import { captureStdout } from '../utils/stdout';

/** A raw TCP client: what it received, and when the server closed the connection. */
class RawClient {
  readonly socket: Socket;
  received = '';
  private readonly started = Date.now();
  readonly closed: Promise<number>;
  private timers: NodeJS.Timeout[] = [];

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => (this.received += chunk));
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.socket.on('close', () => {
        this.timers.forEach(clearInterval);
        resolve(Date.now() - this.started);
      }),
    );
  }

  write(text: string) {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  /** Keeps the connection busy (never idle) without ever finishing the request. */
  trickle(text: string, everyMs: number) {
    this.timers.push(setInterval(() => this.write(text), everyMs));
  }

  waitFor(pattern: RegExp, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new Error(`no ${pattern} in ${this.received}`)),
        timeoutMs,
      );
      const check = () => {
        if (pattern.test(this.received)) {
          clearTimeout(deadline);
          resolve();
        } else setTimeout(check, 20);
      };
      check();
    });
  }

  destroy() {
    this.timers.forEach(clearInterval);
    this.socket.destroy();
  }
}

/** Pino writes to process.stdout: the lines a log shipper would read (see request-logs). */

/** Fails the test instead of hanging when the server never closes the connection. */
async function closedWithin(client: RawClient, ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(-1), ms)));
  const elapsed = await Promise.race([client.closed, timeout]);
  clearTimeout(timer);
  client.destroy();
  if (elapsed < 0) throw new Error(`connection still open after ${ms} ms`);
  return elapsed;
}

describe('Slow and malformed clients on a raw socket', () => {
  let t: TestApp;
  let port: number;
  let stdout: ReturnType<typeof captureStdout>;
  const clients: RawClient[] = [];
  const client = () => {
    const c = new RawClient(port);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    stdout = captureStdout();
    t = await createTestApp({
      LOG_LEVEL: 'info',
      HTTP_HEADERS_TIMEOUT_SECONDS: '1',
      HTTP_REQUEST_TIMEOUT_SECONDS: '2',
      HTTP_IDLE_TIMEOUT_SECONDS: '1',
      HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '1',
    });
    await t.app.listen(0, '127.0.0.1');
    port = Number(new URL(await t.app.getUrl()).port);
  });
  afterAll(async () => {
    clients.forEach((c) => c.destroy());
    await t?.close();
    stdout.restore();
  });

  it('closes a connection whose headers never end (headers timeout), with a 408', async () => {
    const c = client();
    c.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n');
    c.trickle('X-Slow: 1\r\n', 200);
    const elapsed = await closedWithin(c, 4000);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(c.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.received).toContain('"error"');
  });

  it('closes a connection whose body never completes (request timeout), with a 408', async () => {
    const c = client();
    c.write(
      'POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"email":"',
    );
    c.trickle('a', 200);
    const elapsed = await closedWithin(c, 5000);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(c.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection that sends nothing at all (idle timeout)', async () => {
    const c = client();
    const elapsed = await closedWithin(c, 4000);
    expect(elapsed).toBeGreaterThanOrEqual(900);
  });

  it('closes an idle keep-alive connection after its response (keep-alive timeout)', async () => {
    const c = client();
    c.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await c.waitFor(/"status":"ok"/);
    const elapsed = await closedWithin(c, 4000);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(c.received.match(/HTTP\/1\.1 200/g)).toHaveLength(1);
  });

  it('still serves a client that sends its request promptly', async () => {
    await t.http.get('/health/live').expect(200);
  });

  it('answers 400 to a request with two Host headers (RFC 9112 §3.2)', async () => {
    const c = client();
    c.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n');
    await c.waitFor(/\r\n\r\n\{.*\}$/s);
    expect(c.received).toMatch(/^HTTP\/1\.1 400 /);
    expect(c.received).toContain('"code":"BAD_REQUEST"');
    expect(c.received).toMatch(/x-request-id: /i);
    c.destroy();

    const one = client();
    one.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    await one.closed;
    expect(one.received).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('logs a client that aborts mid-body as an aborted request, not "dependency unavailable"', async () => {
    const reqId = `abort-${Date.now()}`;
    const c = client();
    c.write(
      'POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `X-Request-Id: ${reqId}\r\nContent-Length: 100\r\n\r\n{"email":"`,
    );
    await new Promise((done) => setTimeout(done, 200));
    c.destroy();
    const mine = () => stdout.lines().filter((line) => line.reqId === reqId);
    for (let i = 0; i < 100 && !mine().some((l) => l.msg === 'request aborted'); i++) {
      await new Promise((done) => setTimeout(done, 20));
    }
    await new Promise((done) => setTimeout(done, 300)); // the filter runs after pino-http's line
    const messages = mine().map((line) => line.msg);
    expect(messages).toContain('request aborted');
    expect(messages).not.toContain('dependency unavailable');
    expect(stdout.lines().filter((l) => l.msg === 'dependency unavailable')).toEqual([]);
  });
});
