import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { bearer, createUser, expectErrorEnvelope, RegisteredUser } from '../utils/factories';
import { enrolTotp, passwordStep, Secrets, TestClock } from '../utils/mfa';
import { waitFor } from '../utils/redis-server';
import { createTestApp, TestApp } from '../utils/test-app';
import { captureStdout } from '../utils/stdout';

const ADMIN_EMAIL = 'mfa-admin@example.com';
const ADMIN_PASSWORD = 'Adm1n#Str0ng!pw';

/** Pino writes to process.stdout: every line of the run is kept for the secrecy check. */

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

const decode = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

describe('two-factor authentication (TOTP)', () => {
  let t: TestApp;
  let db: DataSource;
  let clock: TestClock;
  let stdout: ReturnType<typeof captureStdout>;
  const seen = new Secrets();

  beforeAll(async () => {
    stdout = captureStdout();
    // 7, not 5: the password step and the wrong codes share the count, and the
    // mfa_token's own limit (5 wrong codes) must be reachable before the email locks.
    t = await createTestApp({
      LOG_LEVEL: 'info',
      LOCKOUT_MAX_ATTEMPTS: '7',
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
    });
    db = t.app.get(DataSource);
    clock = new TestClock([t]);
  });
  afterAll(async () => {
    await t?.close();
    stdout.restore();
  });

  const verify = (body: Record<string, unknown>) => t.http.post('/api/auth/mfa/verify').send(body);
  const auditOf = (userId: string, action: string) =>
    db.query<Array<{ details: Record<string, unknown> }>>(
      `SELECT details FROM audit_logs WHERE user_id = $1 AND action = $2 ORDER BY created_at`,
      [userId, action],
    );

  async function enrolledUser() {
    const user = await createUser(t.http);
    const enrolment = await enrolTotp(t, clock, user.accessToken, seen);
    clock.nextStep(); // the enabling code's step is spent
    return { ...user, ...enrolment };
  }

  /** An enrolled user who finished one two-step login: the device token it returned. */
  async function enrolledUserWithDevice() {
    const user = await enrolledUser();
    const first = await passwordStep(t, user.email, user.password, seen);
    const done = await verify({
      mfa_token: first,
      code: seen.code(clock.code(user.secret)),
    }).expect(200);
    clock.nextStep(); // that code's step is spent
    return { ...user, device: seen.secret(done.body.device_token as string) };
  }

  describe('enrolment', () => {
    it('setup gives a 160-bit base32 secret, its otpauth URL and a QR code; stored encrypted', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .post('/api/auth/mfa/totp/setup')
        .set(bearer(user.accessToken))
        .expect(200);
      const secret = seen.secret(res.body.secret as string);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(res.body.otpauth_url).toBe(
        `otpauth://totp/Perfect21:${encodeURIComponent(user.email)}?secret=${secret}` +
          '&issuer=Perfect21&algorithm=SHA1&digits=6&period=30',
      );
      expect(res.body.qr_code).toMatch(/^data:image\/svg\+xml;base64,/);
      const [row] = await db.query<Array<{ secret_encrypted: string }>>(
        `SELECT secret_encrypted FROM mfa_totp_credentials WHERE user_id = $1`,
        [user.id],
      );
      expect(row.secret_encrypted).toMatch(/^v1\./);
      expect(row.secret_encrypted).not.toContain(secret);
      const me = await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
      expect(me.body.two_factor_enabled).toBe(false);
    });

    it('a second setup replaces the pending secret; enable needs a code of the new one', async () => {
      const user = await createUser(t.http);
      const first = await t.http
        .post('/api/auth/mfa/totp/setup')
        .set(bearer(user.accessToken))
        .expect(200);
      const second = await t.http
        .post('/api/auth/mfa/totp/setup')
        .set(bearer(user.accessToken))
        .expect(200);
      const [a, b] = [seen.secret(first.body.secret), seen.secret(second.body.secret)];
      expect(a).not.toBe(b);
      const wrong = await t.http
        .post('/api/auth/mfa/totp/enable')
        .set(bearer(user.accessToken))
        .send({ code: seen.code(clock.code(a)) })
        .expect(400);
      expectErrorEnvelope(wrong.body, 'INVALID_MFA_CODE');
      const ok = await t.http
        .post('/api/auth/mfa/totp/enable')
        .set(bearer(user.accessToken))
        .send({ code: seen.code(clock.code(b)) })
        .expect(200);
      const codes = seen.recoveryCodes(ok.body.recovery_codes);
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes)
        expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$/);
      const me = await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
      expect(me.body.two_factor_enabled).toBe(true);
      expect((await auditOf(user.id, 'MFA_ENABLED')).length).toBe(1);
      expect((await auditOf(user.id, 'MFA_FAILED'))[0].details).toMatchObject({
        purpose: 'enable',
        reason: 'invalid_code',
      });

      for (const route of ['setup', 'enable']) {
        const again = await t.http
          .post(`/api/auth/mfa/totp/${route}`)
          .set(bearer(user.accessToken))
          .send(route === 'enable' ? { code: '123456' } : undefined)
          .expect(409);
        expectErrorEnvelope(again.body, 'CONFLICT');
      }
    });

    it('refuses malformed codes with VALIDATION_ERROR and enable without setup with 409', async () => {
      const user = await createUser(t.http);
      for (const code of ['12345', '1234567', 'abcdef', 123456, null]) {
        const res = await t.http
          .post('/api/auth/mfa/totp/enable')
          .set(bearer(user.accessToken))
          .send({ code })
          .expect(400);
        expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
      }
      await t.http
        .post('/api/auth/mfa/totp/enable')
        .set(bearer(user.accessToken))
        .send({ code: '123456' })
        .expect(409);
      await t.http.post('/api/auth/mfa/totp/setup').expect(401);
    });
  });

  describe('second login step', () => {
    it('login answers the MFA challenge; verify finishes it with aal2 claims kept on refresh', async () => {
      const user = await enrolledUser();
      const login = await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      expect(Object.keys(login.body).sort()).toEqual([
        'expires_in',
        'message',
        'mfa_required',
        'mfa_token',
      ]);
      expect(login.body).toMatchObject({
        message: 'MFA required',
        mfa_required: true,
        expires_in: 300,
      });
      const token = seen.secret(login.body.mfa_token);
      const before = await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
      expect(before.body).toMatchObject({ login_count: 0, last_login: null });

      const res = await verify({
        mfa_token: token,
        code: seen.code(clock.code(user.secret)),
      }).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.message).toBe('Login successful');
      expect(res.body.user).toMatchObject({
        id: user.id,
        login_count: 1,
        two_factor_enabled: true,
      });
      expect(res.body.user.last_login).not.toBeNull();
      const access = decode(res.body.tokens.access_token);
      expect(access).toMatchObject({ sub: user.id, amr: ['pwd', 'otp'], aal: 'aal2' });

      const refreshed = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: res.body.tokens.refresh_token })
        .expect(200);
      expect(decode(refreshed.body.tokens.access_token)).toMatchObject({
        amr: ['pwd', 'otp'],
        aal: 'aal2',
        sid: access.sid,
      });
      const [login1] = await auditOf(user.id, 'USER_LOGIN');
      expect(login1.details).toMatchObject({ amr: ['pwd', 'otp'], mfa_method: 'totp' });

      // single use
      clock.nextStep();
      const reused = await verify({ mfa_token: token, code: clock.code(user.secret) }).expect(401);
      expectErrorEnvelope(reused.body, 'INVALID_TOKEN');
    });

    it('a password-only login carries amr ["pwd"] and aal1', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      expect(decode(res.body.tokens.access_token)).toMatchObject({ amr: ['pwd'], aal: 'aal1' });
    });

    it('a login with a device token carries it through the second step, which retires it', async () => {
      const { device, ...user } = await enrolledUserWithDevice();

      const login = await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password, device_token: device })
        .expect(200);
      expect(login.body).toMatchObject({ mfa_required: true });
      expect(login.body.device_token).toBeUndefined();
      const token = seen.secret(login.body.mfa_token as string);
      const [challenge] = await db.query<Array<{ device_id: string | null }>>(
        `SELECT device_id FROM mfa_challenges WHERE token_hash = $1`,
        [sha256(token)],
      );
      expect(challenge.device_id).not.toBeNull();

      const res = await verify({
        mfa_token: token,
        code: seen.code(clock.code(user.secret)),
      }).expect(200);
      const next = seen.secret(res.body.device_token as string);
      expect(next).not.toBe(device);
      const logins = await auditOf(user.id, 'USER_LOGIN');
      expect(logins).toHaveLength(2);
      expect(logins[1].details).toMatchObject({
        amr: ['pwd', 'otp'],
        known_device_id: challenge.device_id,
      });
      const rows = await db.query<Array<{ token_hash: string; revoked_at: Date | null }>>(
        `SELECT token_hash, revoked_at FROM device_tokens WHERE user_id = $1`,
        [user.id],
      );
      const byHash = new Map(rows.map((r) => [r.token_hash, r.revoked_at]));
      expect(byHash.get(sha256(device))).not.toBeNull();
      expect(byHash.get(sha256(next))).toBeNull();
    });

    it('a login with a device token is judged by the device in its second step too', async () => {
      const { device, ...user } = await enrolledUserWithDevice();

      // Someone who knows only the email locks it (LOCKOUT_MAX_ATTEMPTS = 7).
      for (let i = 0; i < 7; i++) {
        await t.http
          .post('/api/auth/login')
          .send({ email: user.email, password: `${user.password}x` })
          .expect(401);
      }
      const locked = await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(401);
      expectErrorEnvelope(locked.body, 'ACCOUNT_LOCKED');

      // The owner, from the known device, still gets through both steps.
      const login = await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password, device_token: device })
        .expect(200);
      const token = seen.secret(login.body.mfa_token as string);
      const wrong = await verify({ mfa_token: token, code: '000000' }).expect(401);
      expectErrorEnvelope(wrong.body, 'INVALID_MFA_CODE');
      // The failure's audit row is written after the answer.
      await waitFor(async () => (await auditOf(user.id, 'MFA_FAILED')).length === 1, 5000);
      const [failure] = await auditOf(user.id, 'MFA_FAILED');
      expect(failure.details).toMatchObject({ reason: 'invalid_code', device_attempt: 2 });
      expect(failure.details).not.toHaveProperty('attempt');
      const res = await verify({
        mfa_token: token,
        code: seen.code(clock.code(user.secret)),
      }).expect(200);
      expect(decode(res.body.tokens.access_token)).toMatchObject({ aal: 'aal2' });

      // The email stays locked for everyone else.
      const stillLocked = await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(401);
      expectErrorEnvelope(stillLocked.body, 'ACCOUNT_LOCKED');
    });

    it('never accepts a code twice: the enabling code, a replay, a parallel double use', async () => {
      const user = await createUser(t.http);
      const { secret } = await enrolTotp(t, clock, user.accessToken, seen);
      const enablingCode = clock.code(secret);
      const first = await passwordStep(t, user.email, user.password, seen);
      const spent = await verify({ mfa_token: first, code: enablingCode }).expect(401);
      expectErrorEnvelope(spent.body, 'INVALID_MFA_CODE');

      clock.nextStep();
      const code = seen.code(clock.code(secret));
      await verify({ mfa_token: first, code }).expect(200);
      const second = await passwordStep(t, user.email, user.password, seen);
      await verify({ mfa_token: second, code }).expect(401);

      clock.nextStep();
      const next = seen.code(clock.code(secret));
      const tokens = [
        await passwordStep(t, user.email, user.password, seen),
        await passwordStep(t, user.email, user.password, seen),
      ];
      const results = await Promise.all(
        tokens.map((mfa_token) => verify({ mfa_token, code: next })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    });

    it('accepts one step of drift either way, never two', async () => {
      const user = await enrolledUser();
      clock.nextStep(); // one step back must not be the enabling code's step
      const token = await passwordStep(t, user.email, user.password, seen);
      for (const offset of [-2, 2]) {
        const res = await verify({
          mfa_token: token,
          code: seen.code(clock.code(user.secret, offset)),
        });
        expect(res.status).toBe(401);
        expectErrorEnvelope(res.body, 'INVALID_MFA_CODE');
      }
      await verify({ mfa_token: token, code: seen.code(clock.code(user.secret, -1)) }).expect(200);
      const later = await passwordStep(t, user.email, user.password, seen);
      await verify({ mfa_token: later, code: seen.code(clock.code(user.secret, 1)) }).expect(200);
    });

    it('mfa_token lives 300 s (by the clock seam); garbage tokens are INVALID_TOKEN', async () => {
      const user = await enrolledUser();
      const token = await passwordStep(t, user.email, user.password, seen);
      clock.advance(299);
      await verify({ mfa_token: token, code: seen.code(clock.code(user.secret)) }).expect(200);

      const expiring = await passwordStep(t, user.email, user.password, seen);
      clock.advance(301);
      const expired = await verify({
        mfa_token: expiring,
        code: seen.code(clock.code(user.secret)),
      });
      expect(expired.status).toBe(401);
      expectErrorEnvelope(expired.body, 'INVALID_TOKEN');

      const garbage = await verify({ mfa_token: 'x'.repeat(43), code: '123456' }).expect(401);
      expectErrorEnvelope(garbage.body, 'INVALID_TOKEN');
    });

    it('mfa_token dies after 5 wrong codes', async () => {
      const user = await enrolledUser();
      const token = await passwordStep(t, user.email, user.password, seen);
      const right = clock.code(user.secret);
      const wrong = right === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++) {
        const res = await verify({ mfa_token: token, code: wrong }).expect(401);
        expectErrorEnvelope(res.body, 'INVALID_MFA_CODE');
      }
      const dead = await verify({ mfa_token: token, code: seen.code(right) }).expect(401);
      expectErrorEnvelope(dead.body, 'INVALID_TOKEN');
      const failures = await auditOf(user.id, 'MFA_FAILED');
      expect(failures).toHaveLength(5);
      expect(failures[4].details).toMatchObject({ reason: 'invalid_code', challenge_failures: 5 });
    });

    it('wrong codes count towards the email lockout', async () => {
      const user = await enrolledUser();
      const wrongCode = () => (clock.code(user.secret) === '000000' ? '111111' : '000000');
      // password step = attempt 1; wrong codes 2..5; password step 6; wrong code 7 locks
      const first = await passwordStep(t, user.email, user.password, seen);
      for (let i = 0; i < 4; i++) await verify({ mfa_token: first, code: wrongCode() }).expect(401);
      const second = await passwordStep(t, user.email, user.password, seen);
      const last = await verify({ mfa_token: second, code: wrongCode() }).expect(401);
      expectErrorEnvelope(last.body, 'INVALID_MFA_CODE');
      const locked = await verify({ mfa_token: second, code: seen.code(clock.code(user.secret)) });
      expect(locked.status).toBe(401);
      expectErrorEnvelope(locked.body, 'ACCOUNT_LOCKED');
      const login = await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(401);
      expectErrorEnvelope(login.body, 'ACCOUNT_LOCKED');
      expect(await auditOf(user.id, 'ACCOUNT_LOCKED')).toHaveLength(1);
    });

    it('validates the verify body: exactly one of code and recovery_code', async () => {
      for (const body of [
        { mfa_token: 'x'.repeat(43) },
        {
          mfa_token: 'x'.repeat(43),
          code: '123456',
          recovery_code: 'AAAAA-BBBBB-CCCCC-DDDDD-EEEEE',
        },
        { mfa_token: 'x'.repeat(43), code: '12345' },
        { code: '123456' },
        { mfa_token: 'x'.repeat(43), code: '123456', extra: 1 },
      ]) {
        const res = await verify(body).expect(400);
        expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
      }
    });
  });

  describe('recovery codes', () => {
    it('each works once, also when used twice in parallel; regenerate kills the old set', async () => {
      const user = await enrolledUser();
      const [c0, c1, c2] = user.recoveryCodes;
      const token = await passwordStep(t, user.email, user.password, seen);
      const res = await verify({ mfa_token: token, recovery_code: c0.toLowerCase() }).expect(200);
      expect(decode(res.body.tokens.access_token)).toMatchObject({
        amr: ['pwd', 'otp'],
        aal: 'aal2',
      });
      expect((await auditOf(user.id, 'MFA_RECOVERY_CODE_USED'))[0].details).toMatchObject({
        purpose: 'login',
        remaining: 9,
      });
      const again = await passwordStep(t, user.email, user.password, seen);
      const reused = await verify({ mfa_token: again, recovery_code: c0 }).expect(401);
      expectErrorEnvelope(reused.body, 'INVALID_MFA_CODE');

      const tokens = [
        await passwordStep(t, user.email, user.password, seen),
        await passwordStep(t, user.email, user.password, seen),
      ];
      const both = await Promise.all(
        tokens.map((mfa_token) => verify({ mfa_token, recovery_code: c1 })),
      );
      expect(both.map((r) => r.status).sort()).toEqual([200, 401]);

      const access = res.body.tokens.access_token as string;
      const wrong = await t.http
        .post('/api/auth/mfa/recovery-codes')
        .set(bearer(access))
        .send({ code: '000000' === clock.code(user.secret) ? '111111' : '000000' })
        .expect(400);
      expectErrorEnvelope(wrong.body, 'INVALID_MFA_CODE');
      const fresh = await t.http
        .post('/api/auth/mfa/recovery-codes')
        .set(bearer(access))
        .send({ code: seen.code(clock.code(user.secret)) })
        .expect(200);
      const newCodes = seen.recoveryCodes(fresh.body.recovery_codes);
      expect(newCodes).toHaveLength(10);
      expect(await auditOf(user.id, 'RECOVERY_CODES_REGENERATED')).toHaveLength(1);
      const old = await passwordStep(t, user.email, user.password, seen);
      await verify({ mfa_token: old, recovery_code: c2 }).expect(401);
      await verify({ mfa_token: old, recovery_code: newCodes[0] }).expect(200);
    });
  });

  describe('disable and admin reset', () => {
    it('disable needs the password and a code; afterwards login is one step again', async () => {
      const user = await enrolledUser();
      const badPassword = await t.http
        .post('/api/auth/mfa/totp/disable')
        .set(bearer(user.accessToken))
        .send({ password: 'Wrong#Pass1', code: seen.code(clock.code(user.secret)) })
        .expect(401);
      expectErrorEnvelope(badPassword.body, 'INVALID_CREDENTIALS');
      const badCode = await t.http
        .post('/api/auth/mfa/totp/disable')
        .set(bearer(user.accessToken))
        .send({ password: user.password, code: 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ' })
        .expect(400);
      expectErrorEnvelope(badCode.body, 'INVALID_MFA_CODE');
      await t.http
        .post('/api/auth/mfa/totp/disable')
        .set(bearer(user.accessToken))
        .send({ password: user.password, code: user.recoveryCodes[3] })
        .expect(204);
      const disabled = await auditOf(user.id, 'MFA_DISABLED');
      expect(disabled.map((row) => row.details.method ?? row.details.error)).toEqual([
        'INVALID_CREDENTIALS',
        'recovery_code',
      ]);
      const login = await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      expect(login.body.user.two_factor_enabled).toBe(false);
      expect(decode(login.body.tokens.access_token)).toMatchObject({ aal: 'aal1' });
      const rows = await db.query(`SELECT 1 FROM mfa_totp_credentials WHERE user_id = $1`, [
        user.id,
      ]);
      expect(rows).toHaveLength(0);
      await t.http
        .post('/api/auth/mfa/totp/disable')
        .set(bearer(user.accessToken))
        .send({ password: user.password, code: '123456' })
        .expect(409);
    });

    it('admin reset turns MFA off and revokes every session of the user', async () => {
      const admin = await t.http
        .post('/api/auth/login')
        .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
        .expect(200);
      const adminToken = admin.body.tokens.access_token as string;
      const user: RegisteredUser & { secret: string } = await enrolledUser();
      const token = await passwordStep(t, user.email, user.password, seen);
      const session = await verify({
        mfa_token: token,
        code: seen.code(clock.code(user.secret)),
      }).expect(200);

      await t.http.delete(`/api/users/${user.id}/mfa`).set(bearer(user.accessToken)).expect(403);
      await t.http
        .delete('/api/users/00000000-0000-4000-8000-000000000000/mfa')
        .set(bearer(adminToken))
        .expect(404);
      await t.http.delete(`/api/users/${user.id}/mfa`).set(bearer(adminToken)).expect(204);

      await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(401);
      await t.http.get('/api/users/me').set(bearer(session.body.tokens.access_token)).expect(401);
      await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: session.body.tokens.refresh_token })
        .expect(401);
      const [reset] = await auditOf(user.id, 'MFA_RESET');
      expect(reset.details).toMatchObject({ actor_id: admin.body.user.id, revoked_sessions: 2 });
      const login = await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      expect(login.body.user.two_factor_enabled).toBe(false);
    });
  });

  it('no secret, code, recovery code or mfa_token in any audit row or log line of the run', async () => {
    expect(seen.texts.size).toBeGreaterThan(20);
    const rows = await db.query<Array<Record<string, unknown>>>(`SELECT * FROM audit_logs`);
    expect(rows.length).toBeGreaterThan(20);
    expect(seen.foundIn(JSON.stringify(rows))).toEqual([]);
    const logs = stdout.text();
    expect(logs).toContain('"action":"MFA_ENABLED"');
    expect(seen.foundIn(logs)).toEqual([]);
  });
});
