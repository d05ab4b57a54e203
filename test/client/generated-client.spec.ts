import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { uniqueEmail, STRONG_PASSWORD } from '../utils/factories';
import { createTestApp, TestApp } from '../utils/test-app';

const HERE = __dirname;
const GENERATED = join(HERE, 'generated');
const TSC = resolve(HERE, '../../node_modules/typescript/bin/tsc');

/** `tsc --strict --noEmit` on one file, as a client project would compile it. */
function typeCheck(file: string) {
  const result = spawnSync(
    process.execPath,
    [
      TSC,
      '--ignoreConfig',
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--target',
      'es2023',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
      file,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('A client generated from /docs-json (openapi-typescript + openapi-fetch)', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
    const document = await (await fetch(`${baseUrl}/docs-json`)).json();
    const { default: openapiTS, astToString } = await import('openapi-typescript');
    const types = astToString(await openapiTS(document as never));
    mkdirSync(GENERATED, { recursive: true });
    writeFileSync(join(GENERATED, 'openapi.d.ts'), types);
  }, 180_000);
  afterAll(() => t.close());

  it('type-checks a script that switches exhaustively over the login error codes', () => {
    const result = typeCheck(join(HERE, 'flow.ts'));
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails to compile when a login error code is left unhandled (the never check works)', () => {
    const source = readFileSync(join(HERE, 'flow.ts'), 'utf8');
    const missing = source.replace("    case 'ACCOUNT_LOCKED':\n", '');
    expect(missing).not.toBe(source);
    const file = join(GENERATED, 'flow-missing-case.ts');
    writeFileSync(file, missing.replace("'./generated/openapi'", "'./openapi'"));
    const result = typeCheck(file);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/"ACCOUNT_LOCKED"' is not assignable to type 'never'/);
  });

  it('registers, logs in, reads /me, refreshes and logs out against the service', async () => {
    // flow.ts is outside the tsconfig (it needs the generated types): loaded as Jest compiles it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runFlow } = require('./flow') as {
      runFlow: (baseUrl: string, email: string, password: string) => Promise<unknown>;
    };
    const email = uniqueEmail('client');
    await expect(runFlow(baseUrl, email, STRONG_PASSWORD)).resolves.toEqual({
      registeredEmail: email,
      wrongPassword: 'wrong email or password',
      tokenType: 'Bearer',
      meFirstName: 'Ada',
      meLoginCount: 1,
      logoutStatus: 204,
      afterLogout: 'UNAUTHORIZED',
    });
  });
});
