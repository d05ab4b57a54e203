import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DeviceTokensCleanupService } from '../../src/devices/device-tokens-cleanup.service';
import { createTestApp, TestApp } from '../utils/test-app';
import { bearer, createUser, expectErrorEnvelope, RegisteredUser } from '../utils/factories';

const WRONG = 'Wrong#Pass1';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Device tokens (LOCKOUT_MAX_ATTEMPTS=5): an attacker who only knows an email can lock it for
 * unknown clients, never for the owner's known devices.
 */
describe('device tokens', () => {
  let t: TestApp;
  let db: DataSource;
  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const loginWith = (user: RegisteredUser, password: string, deviceToken?: string) =>
    t.http
      .post('/api/auth/login')
      .send({ email: user.email, password, ...(deviceToken ? { device_token: deviceToken } : {}) });

  /** A successful login; returns its device token. */
  async function deviceOf(user: RegisteredUser, deviceToken?: string): Promise<string> {
    const res = await loginWith(user, user.password, deviceToken).expect(200);
    return res.body.device_token as string;
  }

  /** The attacker: wrong passwords from a client without a device token until the email locks. */
  async function lockEmail(user: RegisteredUser) {
    for (let i = 0; i < 5; i++) {
      expectErrorEnvelope((await loginWith(user, WRONG).expect(401)).body, 'INVALID_CREDENTIALS');
    }
    expectErrorEnvelope((await loginWith(user, user.password).expect(401)).body, 'ACCOUNT_LOCKED');
  }

  it('every login returns an opaque device token, stored only as its SHA-256', async () => {
    const user = await createUser(t.http);
    const res = await loginWith(user, user.password).expect(200);
    expect(Object.keys(res.body).sort()).toEqual(['device_token', 'message', 'tokens', 'user']);
    const token = res.body.device_token as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
    const rows: Array<{ row: string; token_hash: string; expires_at: Date }> = await db.query(
      `SELECT d::text AS row, token_hash, expires_at FROM device_tokens d WHERE user_id = $1`,
      [user.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(sha256(token));
    expect(rows[0].row).not.toContain(token);
    // DEVICE_TOKEN_TTL_SECONDS: 90 days by default.
    const days = (new Date(rows[0].expires_at).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    // Listed nowhere: not in audit rows, not in the session list.
    const [{ hits }] = await db.query(
      `SELECT count(*)::int AS hits FROM audit_logs WHERE details::text LIKE '%' || $1 || '%'`,
      [token],
    );
    expect(hits).toBe(0);
    const sessions = await t.http
      .get('/api/sessions')
      .set(bearer(res.body.tokens.access_token))
      .expect(200);
    expect(JSON.stringify(sessions.body)).not.toContain(token);
  });

  it('email locked by an attacker: the owner logs in with their device token, other clients stay locked', async () => {
    const user = await createUser(t.http);
    const device = await deviceOf(user);
    await lockEmail(user);

    const owner = await loginWith(user, user.password, device).expect(200);
    await t.http.get('/api/users/me').set(bearer(owner.body.tokens.access_token)).expect(200);
    const next = owner.body.device_token as string;
    expect(next).not.toBe(device);

    // The email's lock is left as it was, for every client without a device token.
    expectErrorEnvelope((await loginWith(user, user.password).expect(401)).body, 'ACCOUNT_LOCKED');
    // Each login retires the device token it came with; the new one works.
    expectErrorEnvelope(
      (await loginWith(user, user.password, device).expect(401)).body,
      'ACCOUNT_LOCKED',
    );
    await loginWith(user, user.password, next).expect(200);

    const [audit] = await db.query(
      `SELECT details FROM audit_logs WHERE user_id = $1 AND action = 'USER_LOGIN'
        ORDER BY created_at DESC LIMIT 1`,
      [user.id],
    );
    expect(audit.details).toMatchObject({ known_device_id: expect.any(String) });
  });

  it('wrong passwords with a device token kill only that token and leave the email count alone', async () => {
    const user = await createUser(t.http);
    const phone = await deviceOf(user);
    const laptop = await deviceOf(user);

    for (let i = 0; i < 5; i++) {
      expectErrorEnvelope(
        (await loginWith(user, WRONG, phone).expect(401)).body,
        'INVALID_CREDENTIALS',
      );
    }
    const [phoneRow] = await db.query(
      `SELECT failed_attempts, revoked_at FROM device_tokens WHERE token_hash = $1`,
      [sha256(phone)],
    );
    expect(phoneRow.failed_attempts).toBe(5);
    expect(phoneRow.revoked_at).not.toBeNull();
    const [laptopRow] = await db.query(
      `SELECT failed_attempts, revoked_at FROM device_tokens WHERE token_hash = $1`,
      [sha256(laptop)],
    );
    expect(laptopRow).toEqual({ failed_attempts: 0, revoked_at: null });

    // The email's count was not touched: four more wrong passwords leave it unlocked...
    for (let i = 0; i < 4; i++) {
      expectErrorEnvelope((await loginWith(user, WRONG).expect(401)).body, 'INVALID_CREDENTIALS');
    }
    // ...and the dead device token is treated as absent: its wrong password is the email's 5th.
    expectErrorEnvelope(
      (await loginWith(user, WRONG, phone).expect(401)).body,
      'INVALID_CREDENTIALS',
    );
    expectErrorEnvelope(
      (await loginWith(user, user.password, phone).expect(401)).body,
      'ACCOUNT_LOCKED',
    );
    // The other device is unaffected.
    await loginWith(user, user.password, laptop).expect(200);

    const failures: Array<{ details: Record<string, unknown> }> = await db.query(
      `SELECT details FROM audit_logs WHERE user_id = $1 AND action = 'LOGIN_FAILED'
          AND details ? 'device_id' ORDER BY created_at`,
      [user.id],
    );
    expect(failures.map((f) => f.details.device_attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(failures.map((f) => f.details.device_revoked ?? false)).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
    expect(failures[0].details).toMatchObject({ reason: 'wrong_password' });
  });

  it('a parallel burst of wrong passwords with one device token verifies at most five', async () => {
    const user = await createUser(t.http);
    const device = await deviceOf(user);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => loginWith(user, WRONG, device)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(401));
    const [row] = await db.query(
      `SELECT failed_attempts, revoked_at FROM device_tokens WHERE token_hash = $1`,
      [sha256(device)],
    );
    expect(row.failed_attempts).toBe(5);
    expect(row.revoked_at).not.toBeNull();
    // The seven that found the token used up counted against the email: it is locked now.
    expectErrorEnvelope((await loginWith(user, user.password).expect(401)).body, 'ACCOUNT_LOCKED');
  });

  it("another user's device token does not help, and is not charged", async () => {
    const owner = await createUser(t.http);
    const stranger = await createUser(t.http);
    const strangerDevice = await deviceOf(stranger);
    await lockEmail(owner);
    expectErrorEnvelope(
      (await loginWith(owner, owner.password, strangerDevice).expect(401)).body,
      'ACCOUNT_LOCKED',
    );
    const [row] = await db.query(
      `SELECT failed_attempts, revoked_at FROM device_tokens WHERE token_hash = $1`,
      [sha256(strangerDevice)],
    );
    expect(row).toEqual({ failed_attempts: 0, revoked_at: null });
    await loginWith(stranger, stranger.password, strangerDevice).expect(200);
  });

  it('an unknown device token is ignored; a malformed one is a validation error', async () => {
    const user = await createUser(t.http);
    await loginWith(user, user.password, 'x'.repeat(43)).expect(200);
    const bad = await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password, device_token: 42 })
      .expect(400);
    expectErrorEnvelope(bad.body, 'VALIDATION_ERROR');
    expect(bad.body.error.details[0].field).toBe('device_token');
  });

  it('logout-all revokes every device token of the user', async () => {
    const user = await createUser(t.http);
    const device = await deviceOf(user);
    const other = await loginWith(user, user.password).expect(200);
    await t.http
      .post('/api/auth/logout-all')
      .set(bearer(other.body.tokens.access_token))
      .expect(204);
    const [{ live }] = await db.query(
      `SELECT count(*)::int AS live FROM device_tokens WHERE user_id = $1 AND revoked_at IS NULL`,
      [user.id],
    );
    expect(live).toBe(0);
    await lockEmail(user);
    for (const token of [device, other.body.device_token as string]) {
      expectErrorEnvelope(
        (await loginWith(user, user.password, token).expect(401)).body,
        'ACCOUNT_LOCKED',
      );
    }
    const [audit] = await db.query(
      `SELECT details FROM audit_logs WHERE user_id = $1 AND action = 'LOGOUT_ALL'`,
      [user.id],
    );
    expect(audit.details).toMatchObject({ revoked_devices: 2 });
  });

  it('a password change revokes every device token of the user', async () => {
    const user = await createUser(t.http);
    const device = await deviceOf(user);
    await t.http
      .post('/api/auth/change-password')
      .set(bearer(user.accessToken))
      .send({ current_password: user.password, new_password: 'Qz7$kT2!wN9pLm' })
      .expect(204);
    const [row] = await db.query(`SELECT revoked_at FROM device_tokens WHERE token_hash = $1`, [
      sha256(device),
    ]);
    expect(row.revoked_at).not.toBeNull();
  });

  it('the cleanup deletes ended device tokens and keeps live ones', async () => {
    const user = await createUser(t.http);
    const retired = await deviceOf(user);
    const live = await deviceOf(user, retired);
    await t.app.get(DeviceTokensCleanupService).runOnce({ graceSeconds: 0 });
    const rows: Array<{ token_hash: string }> = await db.query(
      `SELECT token_hash FROM device_tokens WHERE user_id = $1`,
      [user.id],
    );
    expect(rows.map((r) => r.token_hash)).toEqual([sha256(live)]);
  });

  it('the OpenAPI document describes device_token on the login request and response', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const login = doc.paths['/api/auth/login'].post;
    const requestRef: string = login.requestBody.content['application/json'].schema.$ref;
    // The 200 is oneOf(logged in, MFA challenge): the logged-in branch carries the device token.
    const response: { oneOf: Array<{ $ref: string }> } =
      login.responses['200'].content['application/json'].schema;
    type Schema = { properties: Record<string, unknown>; required?: string[] };
    const schema = (ref: string): Schema => doc.components.schemas[ref.split('/').pop()!] as Schema;
    expect(schema(requestRef).properties.device_token).toBeDefined();
    expect(schema(requestRef).required).not.toContain('device_token');
    const loggedIn = response.oneOf.map((r) => schema(r.$ref)).filter((s) => s.properties.tokens);
    expect(loggedIn).toHaveLength(1);
    expect(loggedIn[0].required).toContain('device_token');
    const verify = doc.paths['/api/auth/mfa/verify'].post;
    const verifyRef: string = verify.responses['200'].content['application/json'].schema.$ref;
    expect(schema(verifyRef).required).toContain('device_token');
  });
});
