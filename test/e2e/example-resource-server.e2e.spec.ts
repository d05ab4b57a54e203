import { ChildProcess, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SigningKeysService } from '../../src/signing-keys/signing-keys.service';
import { createUser, login } from '../utils/factories';
import { decodeJose } from '../utils/signing-keys';
import { createTestApp, TestApp } from '../utils/test-app';

const SERVER = join(__dirname, '..', '..', 'examples', 'resource-server', 'server.mjs');

/** examples/resource-server, run as its README says, pointed at this app's JWKS. */
describe('examples/resource-server (EdDSA)', () => {
  let t: TestApp;
  let child: ChildProcess;
  let exampleUrl: string;

  beforeAll(async () => {
    t = await createTestApp({ JWT_ALGORITHM: 'EdDSA' });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    child = spawn(process.execPath, [SERVER], {
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        JWKS_MAX_AGE_SECONDS: '1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    exampleUrl = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`example exited with ${code}`)));
      createInterface({ input: child.stdout! }).once('line', (line) =>
        resolve((JSON.parse(line) as { listening: string }).listening),
      );
    });
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await t.close();
  });

  const hello = (token: string) =>
    fetch(`${exampleUrl}/hello`, { headers: { Authorization: `Bearer ${token}` } });

  it('accepts a fresh access token, refuses a refresh token and garbage', async () => {
    const user = await createUser(t.http);
    const ok = await hello(user.accessToken);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ hello: user.id, role: 'user' });
    expect((await hello(user.refreshToken)).status).toBe(401);
    expect((await hello('not-a-token')).status).toBe(401);
  });

  it('refuses a token of a revoked key once its key-set cache expires; the new key works', async () => {
    const user = await createUser(t.http);
    expect((await hello(user.accessToken)).status).toBe(200);
    const kid = String(decodeJose(user.accessToken, 0).kid);
    await t.app.get(SigningKeysService).revoke(kid);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // JWKS_MAX_AGE_SECONDS=1
    expect((await hello(user.accessToken)).status).toBe(401);
    const fresh = await login(t.http, user.email, user.password);
    expect(decodeJose(fresh.accessToken, 0).kid).not.toBe(kid);
    expect((await hello(fresh.accessToken)).status).toBe(200);
  });
});
