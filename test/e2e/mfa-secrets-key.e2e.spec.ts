import { PassThrough, Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { runCli } from '../../src/cli/cli';
import { generateKey } from '../../src/crypto/secret-box';
import { createUser } from '../utils/factories';
import { enrolTotp, passwordStep, Secrets, TestClock } from '../utils/mfa';
import { createTestApp, FAST_ENV, TestApp } from '../utils/test-app';
import { createTestStorage, TestStorage, usingPostgres } from '../utils/test-env';

function cliIo(env: Record<string, string>) {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { io: { env, stdin: new PassThrough(), stdout: sink, stderr: sink }, out: () => out };
}

/** The encryption key of TOTP secrets across restarts and rotations (apps run one at a time). */
describe('secrets-at-rest key', () => {
  let storage: TestStorage;
  const seen = new Secrets();

  beforeEach(async () => {
    storage = await createTestStorage();
  });
  afterEach(async () => {
    await storage.cleanup();
  });

  async function enrol(t: TestApp) {
    const clock = new TestClock([t]);
    const user = await createUser(t.http);
    const { secret } = await enrolTotp(t, clock, user.accessToken, seen);
    return { user, secret, enabledAt: clock.now.getTime() };
  }

  async function secondStepWorks(t: TestApp, enrolled: Awaited<ReturnType<typeof enrol>>) {
    const clock = new TestClock([t], enrolled.enabledAt + 30_000);
    const token = await passwordStep(t, enrolled.user.email, enrolled.user.password, seen);
    await t.http
      .post('/api/auth/mfa/verify')
      .send({ mfa_token: token, code: clock.code(enrolled.secret) })
      .expect(200);
  }

  (usingPostgres ? it.skip : it)(
    'a development restart without SECRETS_ENCRYPTION_KEY still reads the secrets (key kept in DATA_DIR)',
    async () => {
      const first = await createTestApp({ SECRETS_ENCRYPTION_KEY: '' }, storage);
      const enrolled = await enrol(first);
      await first.close({ keepStorage: true });
      const second = await createTestApp({ SECRETS_ENCRYPTION_KEY: '' }, storage);
      try {
        await secondStepWorks(second, enrolled);
      } finally {
        await second.close({ keepStorage: true });
      }
    },
    180_000, // two cold starts of the embedded database
  );

  it('rotation: old key as previous keeps secrets readable; secrets reseal moves them to the new key', async () => {
    const oldKey = generateKey();
    const newKey = generateKey();
    const first = await createTestApp({ SECRETS_ENCRYPTION_KEY: oldKey }, storage);
    const enrolled = await enrol(first);
    await first.close({ keepStorage: true });

    const rotatedEnv = { SECRETS_ENCRYPTION_KEY: newKey, SECRETS_ENCRYPTION_KEYS_PREVIOUS: oldKey };
    const rotated = await createTestApp(rotatedEnv, storage);
    await secondStepWorks(rotated, enrolled);
    await rotated.close({ keepStorage: true });

    const cli = cliIo({ ...FAST_ENV, ...storage.env, ...rotatedEnv });
    await expect(runCli(['secrets', 'reseal'], cli.io)).resolves.toBe(0);
    expect(cli.out()).toMatch(/re-encrypted 1 TOTP secret/);

    const newOnly = await createTestApp({ SECRETS_ENCRYPTION_KEY: newKey }, storage);
    try {
      const [row] = await newOnly.app
        .get(DataSource)
        .query<Array<{ secret_encrypted: string }>>(
          `SELECT secret_encrypted FROM mfa_totp_credentials`,
        );
      expect(row.secret_encrypted).not.toContain(enrolled.secret);
      await secondStepWorks(newOnly, { ...enrolled, enabledAt: enrolled.enabledAt + 30_000 });
    } finally {
      await newOnly.close({ keepStorage: true });
    }
  }, 240_000);
});
