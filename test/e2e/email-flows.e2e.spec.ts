import { DataSource } from 'typeorm';
import { mailSlotKey } from '../../src/account-recovery/account-recovery.service';
import { hashEmailToken } from '../../src/email-tokens/email-tokens.service';
import { KvStore } from '../../src/store/kv-store';
import {
  bearer,
  createUser,
  expectErrorEnvelope,
  login,
  STRONG_PASSWORD,
  uniqueEmail,
} from '../utils/factories';
import { linkIn, TestSmtpServer } from '../utils/smtp-server';
import { createTestApp, TestApp } from '../utils/test-app';

const APP_URL = 'https://app.example.test';
const NEW_PASSWORD = 'N3w#Reset$Pass';
const ADMIN_EMAIL = 'mail-admin@example.com';
const ADMIN_PASSWORD = 'Adm1n#Mail$Pass';

const MAIL_ENV = {
  APP_URL,
  PRODUCT_NAME: 'Acme Cloud',
  MAIL_FROM: 'Acme Cloud <no-reply@acme.test>',
  MAIL_POLL_INTERVAL_MS: '100',
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
};

/** App start-up (migrations on a fresh database) takes long on a busy 2-core machine. */
const HOOK_TIMEOUT_MS = 180_000;

describe('Email: verification, password reset, email change (real SMTP server)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let adminToken: string;
  const db = () => t.app.get(DataSource);

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({ ...MAIL_ENV, SMTP_URL: smtp.url });
    adminToken = (await login(t.http, ADMIN_EMAIL, ADMIN_PASSWORD)).accessToken;
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const auditActions = async (userId: string) =>
    (
      await db().query<Array<{ action: string }>>(
        `SELECT action FROM audit_logs WHERE user_id = $1 ORDER BY created_at`,
        [userId],
      )
    ).map((row) => row.action);

  const resetMails = (email: string) =>
    smtp.mailsTo(email).filter((m) => m.subject === 'Reset your Acme Cloud password');

  /** Asks for a reset and returns the token of the reset mail that request sent. */
  async function requestReset(email: string) {
    const seen = resetMails(email).length;
    const res = await t.http.post('/api/auth/forgot-password').send({ email });
    expect(res.status).toBe(202);
    await smtp.waitFor(() => resetMails(email).length > seen);
    return linkIn(resetMails(email)[seen], '/reset-password').token;
  }

  it('register mails a verification link; following it verifies the email once', async () => {
    const user = await createUser(t.http);
    const mail = await smtp.nextMailTo(user.email);
    expect(mail.from).toBe('no-reply@acme.test');
    expect(mail.subject).toBe('Confirm your email address for Acme Cloud');
    const { url, token } = linkIn(mail, '/verify-email');
    expect(url.origin).toBe(APP_URL);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, URL-safe
    expect(mail.html).toContain(`href="${APP_URL}/verify-email?token=${token}"`);

    const before = await t.http.get('/api/users/me').set(bearer(user.accessToken));
    expect(before.body.email_verified).toBe(false);
    const verified = await t.http.post('/api/auth/verify-email').send({ token });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ id: user.id, email: user.email, email_verified: true });
    expect(verified.body).not.toHaveProperty('password_hash');

    const again = await t.http.post('/api/auth/verify-email').send({ token });
    expect(again.status).toBe(400);
    expectErrorEnvelope(again.body, 'INVALID_TOKEN');
    expect(await auditActions(user.id)).toContain('EMAIL_VERIFIED');
  });

  it('resend-verification issues a new link that kills the old one; verified → 409', async () => {
    const user = await createUser(t.http);
    const first = linkIn(await smtp.nextMailTo(user.email), '/verify-email').token;
    const resent = await t.http.post('/api/auth/resend-verification').set(bearer(user.accessToken));
    expect(resent.status).toBe(202);
    expect(typeof resent.body.message).toBe('string');
    const second = linkIn(await smtp.nextMailTo(user.email, 1), '/verify-email').token;
    expect(second).not.toBe(first);

    // Within 60 s of the last mail: the same answer, nothing issued.
    const soon = await t.http.post('/api/auth/resend-verification').set(bearer(user.accessToken));
    expect(soon.status).toBe(202);

    const old = await t.http.post('/api/auth/verify-email').send({ token: first });
    expect(old.status).toBe(400);
    expectErrorEnvelope(old.body, 'INVALID_TOKEN');
    expect((await t.http.post('/api/auth/verify-email').send({ token: second })).status).toBe(200);

    const done = await t.http.post('/api/auth/resend-verification').set(bearer(user.accessToken));
    expect(done.status).toBe(409);
    expectErrorEnvelope(done.body, 'CONFLICT');
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mailsTo(user.email)).toHaveLength(2);
    const noAuth = await t.http.post('/api/auth/resend-verification');
    expect(noAuth.status).toBe(401);
  });

  it('forgot → mail → reset: every session dies, lockout cleared, email verified, "password changed" mail', async () => {
    const user = await createUser(t.http);
    const second = await login(t.http, user.email, user.password);
    for (let i = 0; i < 5; i++) {
      await t.http.post('/api/auth/login').send({ email: user.email, password: 'Wr0ng#Guess$1' });
    }
    const credentials = { email: user.email, password: user.password };
    const locked = await t.http.post('/api/auth/login').send(credentials);
    expectErrorEnvelope(locked.body, 'ACCOUNT_LOCKED');

    const forgot = await t.http.post('/api/auth/forgot-password').send({ email: user.email });
    expect(forgot.status).toBe(202);
    const mails = await smtp.waitFor(() =>
      smtp.mailsTo(user.email).some((m) => m.subject.startsWith('Reset')),
    );
    const resetMail = mails.find((m) => m.to === user.email && m.subject.startsWith('Reset'))!;
    expect(resetMail.html).toContain('Choose a new password');
    const { url, token } = linkIn(resetMail, '/reset-password');
    expect(url.origin).toBe(APP_URL);

    const reset = await t.http
      .post('/api/auth/reset-password')
      .send({ token, new_password: NEW_PASSWORD });
    expect(reset.status).toBe(204);
    expect(reset.text).toBe('');

    for (const access of [user.accessToken, second.accessToken]) {
      const me = await t.http.get('/api/users/me').set(bearer(access));
      expect(me.status).toBe(401);
    }
    for (const refresh of [user.refreshToken, second.refreshToken]) {
      const res = await t.http.post('/api/auth/refresh').send({ refresh_token: refresh });
      expect(res.status).toBe(401);
    }
    const oldPassword = await t.http.post('/api/auth/login').send(credentials);
    expect(oldPassword.status).toBe(401);
    expectErrorEnvelope(oldPassword.body, 'INVALID_CREDENTIALS');
    const fresh = await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: NEW_PASSWORD });
    expect(fresh.status).toBe(200); // the lock was cleared
    expect(fresh.body.user.email_verified).toBe(true);

    const changed = await smtp.waitFor(() =>
      smtp.mailsTo(user.email).some((m) => m.subject === 'Your Acme Cloud password was changed'),
    );
    expect(changed.length).toBeGreaterThan(0);
    const reused = await t.http
      .post('/api/auth/reset-password')
      .send({ token, new_password: 'An0ther#Pass$word' });
    expect(reused.status).toBe(400);
    expectErrorEnvelope(reused.body, 'INVALID_TOKEN');

    const actions = await auditActions(user.id);
    expect(actions).toEqual(expect.arrayContaining(['PASSWORD_RESET_REQUESTED', 'PASSWORD_RESET']));
    const rows = await db().query<Array<{ details: object }>>(
      `SELECT details FROM audit_logs WHERE user_id = $1`,
      [user.id],
    );
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(NEW_PASSWORD);
  });

  it('a policy error names new_password and leaves the token usable', async () => {
    const user = await createUser(t.http);
    const token = await requestReset(user.email);
    const weak = await t.http
      .post('/api/auth/reset-password')
      .send({ token, new_password: 'password' });
    expect(weak.status).toBe(400);
    expectErrorEnvelope(weak.body, 'VALIDATION_ERROR');
    expect(
      weak.body.error.details.every((d: { field: string }) => d.field === 'new_password'),
    ).toBe(true);
    const common = await t.http
      .post('/api/auth/reset-password')
      .send({ token, new_password: 'Password1!' });
    expect(common.status).toBe(400);
    const ok = await t.http
      .post('/api/auth/reset-password')
      .send({ token, new_password: NEW_PASSWORD });
    expect(ok.status).toBe(204);
  });

  it('bad tokens: unknown, malformed, used, expired, superseded, other kind, deactivated user → 400 INVALID_TOKEN', async () => {
    const user = await createUser(t.http);
    const verifyToken = linkIn(await smtp.nextMailTo(user.email), '/verify-email').token;
    const superseded = await requestReset(user.email);
    // A new reset mail is issued once the minute is over (the store key is the clock seam).
    await t.app.get(KvStore).del(mailSlotKey('password_reset', user.email));
    const current = await requestReset(user.email);
    expect(current).not.toBe(superseded);

    const badReset = async (token: unknown) => {
      const res = await t.http
        .post('/api/auth/reset-password')
        .send({ token, new_password: NEW_PASSWORD });
      return res;
    };
    for (const token of [
      superseded,
      verifyToken, // a verification token is not a reset token
      'A'.repeat(43),
      'not a token at all!',
      current.slice(0, -1),
      `${current}x`,
    ]) {
      const res = await badReset(token);
      expect(res.status).toBe(400);
      expectErrorEnvelope(res.body, 'INVALID_TOKEN');
    }
    for (const token of [undefined, '', 42, 'x'.repeat(257)]) {
      const res = await badReset(token);
      expect(res.status).toBe(400);
      expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
    }
    const wrongRoute = await t.http.post('/api/auth/verify-email').send({ token: current });
    expectErrorEnvelope(wrongRoute.body, 'INVALID_TOKEN');

    // Expired: moved into the past in the database rather than waiting PASSWORD_RESET_TTL_SECONDS.
    await db().query(
      `UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [hashEmailToken(current)],
    );
    const expired = await badReset(current);
    expectErrorEnvelope(expired.body, 'INVALID_TOKEN');
    const expiredVerify = await t.http
      .post('/api/auth/verify-email')
      .send({ token: 'A'.repeat(43) });
    expectErrorEnvelope(expiredVerify.body, 'INVALID_TOKEN');

    // A deactivated user's link dies with the account.
    const other = await createUser(t.http);
    const otherToken = await requestReset(other.email);
    const off = await t.http
      .patch(`/api/users/${other.id}`)
      .set(bearer(adminToken))
      .send({ is_active: false });
    expect(off.status).toBe(200);
    expectErrorEnvelope((await badReset(otherToken)).body, 'INVALID_TOKEN');
  });

  it('two parallel uses of one token: exactly one succeeds', async () => {
    const user = await createUser(t.http);
    const verifyToken = linkIn(await smtp.nextMailTo(user.email), '/verify-email').token;
    const resetToken = await requestReset(user.email);
    const resets = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.http
          .post('/api/auth/reset-password')
          .send({ token: resetToken, new_password: `${NEW_PASSWORD}${i}` }),
      ),
    );
    expect(resets.map((r) => r.status).sort()).toEqual([204, 400, 400, 400, 400, 400]);
    const verifies = await Promise.all(
      Array.from({ length: 6 }, () =>
        t.http.post('/api/auth/verify-email').send({ token: verifyToken }),
      ),
    );
    expect(verifies.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
  });

  it('a password reset revokes every device token of the user with it', async () => {
    const user = await createUser(t.http);
    const res = await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    const device = res.body.device_token as string;
    const token = await requestReset(user.email);
    await t.http
      .post('/api/auth/reset-password')
      .send({ token, new_password: NEW_PASSWORD })
      .expect(204);
    const rows = await db().query<Array<{ revoked_at: Date | null }>>(
      `SELECT revoked_at FROM device_tokens WHERE user_id = $1`,
      [user.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].revoked_at).not.toBeNull();
    const [audit] = await db().query<Array<{ details: Record<string, unknown> }>>(
      `SELECT details FROM audit_logs WHERE user_id = $1 AND action = 'PASSWORD_RESET'`,
      [user.id],
    );
    expect(audit.details).toMatchObject({ revoked_devices: 1 });
    // The revoked token no longer gets its holder through a locked email.
    for (let i = 0; i < 5; i++) {
      await t.http.post('/api/auth/login').send({ email: user.email, password: 'Wr0ng#Guess$1' });
    }
    const withDevice = await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: NEW_PASSWORD, device_token: device });
    expect(withDevice.status).toBe(401);
    expectErrorEnvelope(withDevice.body, 'ACCOUNT_LOCKED');
  });

  it('forgot-password: same status and body for registered, unknown and inactive; one mail per 60 s, to the active account only', async () => {
    const active = await createUser(t.http);
    const inactive = await createUser(t.http);
    await t.http
      .patch(`/api/users/${inactive.id}`)
      .set(bearer(adminToken))
      .send({ is_active: false });
    const unknown = uniqueEmail('nobody');

    const answers = [];
    for (const email of [active.email, unknown, inactive.email, active.email]) {
      const res = await t.http.post('/api/auth/forgot-password').send({ email });
      answers.push({
        status: res.status,
        body: res.body as unknown,
        type: res.headers['content-type'],
      });
    }
    expect(answers[0]).toEqual({
      status: 202,
      body: { message: 'If that email is registered, a password reset link has been sent' },
      type: 'application/json; charset=utf-8',
    });
    for (const answer of answers) expect(answer).toEqual(answers[0]);

    await smtp.waitFor(() => resetMails(active.email).length === 1);
    await new Promise((r) => setTimeout(r, 500)); // the sender polls every 100 ms
    expect(resetMails(active.email)).toHaveLength(1); // the second request issued nothing
    expect(smtp.mailsTo(unknown)).toHaveLength(0);
    expect(resetMails(inactive.email)).toHaveLength(0);
    const outbox = await db().query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM mail_outbox WHERE recipient = ANY($1) AND subject LIKE 'Reset%'`,
      [[active.email, unknown, inactive.email]],
    );
    expect(outbox[0].n).toBe(1);
    // The mailed token is still the valid one.
    const { token } = linkIn(resetMails(active.email)[0], '/reset-password');
    const ok = await t.http
      .post('/api/auth/reset-password')
      .send({ token, new_password: NEW_PASSWORD });
    expect(ok.status).toBe(204);

    const requested = await db().query<Array<{ user_id: string | null; outcome: string }>>(
      `SELECT user_id, details->>'outcome' AS outcome FROM audit_logs
        WHERE action = 'PASSWORD_RESET_REQUESTED' AND details->>'email' = ANY($1)`,
      [[active.email, unknown, inactive.email]],
    );
    expect(requested.map((r) => r.outcome).sort()).toEqual(
      ['inactive_user', 'mail_queued', 'too_soon', 'unknown_email'].sort(),
    );
  });

  it('email change: a link to the new address, a notice to the old; email switches only when the link is used', async () => {
    const user = await createUser(t.http);
    const taken = await createUser(t.http);
    const newEmail = uniqueEmail('moved');
    const change = (body: object) =>
      t.http.post('/api/users/me/email').set(bearer(user.accessToken)).send(body);

    const wrong = await change({ new_email: newEmail, password: 'Wr0ng#Guess$1' });
    expect(wrong.status).toBe(401);
    expectErrorEnvelope(wrong.body, 'INVALID_CREDENTIALS');
    const conflict = await change({
      new_email: taken.email.toUpperCase(),
      password: STRONG_PASSWORD,
    });
    expect(conflict.status).toBe(409);
    expectErrorEnvelope(conflict.body, 'CONFLICT');
    const invalid = await change({ new_email: 'nope', password: STRONG_PASSWORD });
    expectErrorEnvelope(invalid.body, 'VALIDATION_ERROR');
    const extra = await change({ new_email: newEmail, password: STRONG_PASSWORD, role: 'admin' });
    expectErrorEnvelope(extra.body, 'VALIDATION_ERROR');

    const accepted = await change({
      new_email: `  ${newEmail.toUpperCase()} `,
      password: STRONG_PASSWORD,
    });
    expect(accepted.status).toBe(202);
    const confirm = await smtp.nextMailTo(newEmail);
    expect(confirm.subject).toBe('Confirm your new email address for Acme Cloud');
    const notice = await smtp.waitFor(() =>
      smtp.mailsTo(user.email).some((m) => m.subject.includes('about to change')),
    );
    const noticeMail = notice.find(
      (m) => m.to === user.email && m.subject.includes('about to change'),
    )!;
    expect(noticeMail.text).toContain(newEmail);
    expect(noticeMail.text).not.toMatch(/token=/);

    const unchanged = await t.http.get('/api/users/me').set(bearer(user.accessToken));
    expect(unchanged.body.email).toBe(user.email);

    const { token } = linkIn(confirm, '/verify-email');
    const switched = await t.http.post('/api/auth/verify-email').send({ token });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ id: user.id, email: newEmail, email_verified: true });
    expect(
      (await t.http.post('/api/auth/login').send({ email: newEmail, password: STRONG_PASSWORD }))
        .status,
    ).toBe(200);
    expect(
      (await t.http.post('/api/auth/login').send({ email: user.email, password: STRONG_PASSWORD }))
        .status,
    ).toBe(401);
    // The registration link was mailed to the old address: it no longer verifies anything.
    // (Found by subject: the outbox does not promise the order of a user's mails.)
    const isRegistrationMail = (m: { subject: string }) =>
      m.subject === 'Confirm your email address for Acme Cloud';
    const registration = await smtp.waitFor(() =>
      smtp.mailsTo(user.email).some(isRegistrationMail),
    );
    const oldVerify = linkIn(
      registration.find((m) => m.to === user.email && isRegistrationMail(m))!,
      '/verify-email',
    ).token;
    expectErrorEnvelope(
      (await t.http.post('/api/auth/verify-email').send({ token: oldVerify })).body,
      'INVALID_TOKEN',
    );
    expect(await auditActions(user.id)).toEqual(
      expect.arrayContaining(['EMAIL_CHANGE_REQUESTED', 'EMAIL_CHANGED']),
    );
  });

  it('change-password sends the "password changed" mail', async () => {
    const user = await createUser(t.http);
    const res = await t.http
      .post('/api/auth/change-password')
      .set(bearer(user.accessToken))
      .send({ current_password: user.password, new_password: NEW_PASSWORD });
    expect(res.status).toBe(204);
    const mails = await smtp.waitFor(() =>
      smtp.mailsTo(user.email).some((m) => m.subject === 'Your Acme Cloud password was changed'),
    );
    const mail = mails.find((m) => m.to === user.email && m.subject.includes('was changed'))!;
    expect(mail.text).toContain(user.email);
    expect(mail.text).not.toContain(NEW_PASSWORD);
  });

  it('delivered messages keep no body; tokens are stored only as SHA-256 hashes', async () => {
    const user = await createUser(t.http);
    const token = linkIn(await smtp.nextMailTo(user.email), '/verify-email').token;
    await new Promise((r) => setTimeout(r, 200));
    const sent = await db().query<Array<{ text_body: string | null; html_body: string | null }>>(
      `SELECT text_body, html_body FROM mail_outbox WHERE recipient = $1`,
      [user.email],
    );
    expect(sent).toEqual([{ text_body: null, html_body: null }]);
    const stored = await db().query<Array<{ token_hash: string }>>(
      `SELECT token_hash FROM email_tokens WHERE user_id = $1`,
      [user.id],
    );
    expect(stored).toEqual([{ token_hash: hashEmailToken(token) }]);
    const anywhere = await db().query<Array<{ n: number }>>(
      `SELECT (SELECT count(*) FROM audit_logs WHERE details::text LIKE $1)
            + (SELECT count(*) FROM mail_outbox WHERE text_body LIKE $1 AND status = 'sent') AS n`,
      [`%${token}%`],
    );
    expect(Number(anywhere[0].n)).toBe(0);
  });

  it('the OpenAPI document lists the new routes with their errors', async () => {
    const doc = (await t.http.get('/docs-json')).body as {
      paths: Record<string, { post: { responses: Record<string, unknown> } }>;
    };
    const expected: Record<string, string[]> = {
      '/api/auth/forgot-password': ['202', '400', '429'],
      '/api/auth/reset-password': ['204', '400', '429'],
      '/api/auth/verify-email': ['200', '400', '409'],
      '/api/auth/resend-verification': ['202', '401', '409'],
      '/api/users/me/email': ['202', '400', '401', '409'],
    };
    for (const [path, statuses] of Object.entries(expected)) {
      expect(Object.keys(doc.paths[path].post.responses)).toEqual(expect.arrayContaining(statuses));
    }
    expect(Object.keys(doc.paths['/api/auth/login'].post.responses)).toContain('403');
  });
});

describe('REQUIRE_EMAIL_VERIFICATION=true', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      ...MAIL_ENV,
      SMTP_URL: smtp.url,
      REQUIRE_EMAIL_VERIFICATION: 'true',
    });
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it('register gives no tokens; login needs the verified address (wrong passwords still 401 first)', async () => {
    const email = uniqueEmail();
    const reg = await t.http.post('/api/auth/register').send({ email, password: STRONG_PASSWORD });
    expect(reg.status).toBe(201);
    expect(reg.body.tokens).toBeNull();
    expect(reg.body.user.email_verified).toBe(false);

    const wrong = await t.http.post('/api/auth/login').send({ email, password: 'Wr0ng#Guess$1' });
    expect(wrong.status).toBe(401);
    expectErrorEnvelope(wrong.body, 'INVALID_CREDENTIALS');
    const unverified = await t.http
      .post('/api/auth/login')
      .send({ email, password: STRONG_PASSWORD });
    expect(unverified.status).toBe(403);
    expectErrorEnvelope(unverified.body, 'EMAIL_NOT_VERIFIED');

    const { token } = linkIn(await smtp.nextMailTo(email), '/verify-email');
    expect((await t.http.post('/api/auth/verify-email').send({ token })).status).toBe(200);
    const ok = await t.http.post('/api/auth/login').send({ email, password: STRONG_PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body.tokens.access_token).toEqual(expect.any(String));
  });
});
