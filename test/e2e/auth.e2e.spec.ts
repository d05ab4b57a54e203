import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../utils/test-app';
import {
  bearer,
  createUser,
  expectErrorEnvelope,
  login,
  STRONG_PASSWORD,
  uniqueEmail,
} from '../utils/factories';

const decode = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

describe('accounts and tokens', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ LOCKOUT_MAX_ATTEMPTS: '1000' });
  });
  afterAll(() => t.close());

  describe('POST /api/auth/register', () => {
    it('creates the user, returns the guide’s shape with no-store tokens', async () => {
      const email = uniqueEmail('Reg');
      const res = await t.http
        .post('/api/auth/register')
        .send({
          email: `  ${email.toUpperCase()} `,
          password: STRONG_PASSWORD,
          first_name: '<b>Ada</b><script>alert(1)</script>',
          last_name: '<i></i>',
          phone_number: '+14155550100',
        })
        .expect(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.message).toEqual(expect.any(String));
      expect(res.body.user).toEqual({
        id: expect.any(String),
        email: email.toLowerCase(),
        first_name: 'Ada',
        last_name: null,
        phone_number: '+14155550100',
        role: 'user',
        email_verified: false,
        phone_verified: false,
        two_factor_enabled: false,
        preferences: {},
        is_active: true,
        login_count: 0,
        last_login: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect(res.body.tokens).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
      });
      const stored = await t.app
        .get(DataSource)
        .query(`SELECT password_hash FROM users WHERE id = $1`, [res.body.user.id]);
      expect(stored[0].password_hash).toMatch(/^\$2b\$04\$/);
    });

    it('access token carries the contract’s claims', async () => {
      const user = await createUser(t.http);
      const access = decode(user.accessToken);
      expect(access).toEqual({
        sub: user.id,
        role: 'user',
        type: 'access',
        sid: expect.any(String),
        jti: expect.any(String),
        iat: expect.any(Number),
        exp: (access.iat as number) + 3600,
        iss: t.config.jwt.issuer,
        aud: t.config.jwt.audience,
        amr: ['pwd'],
        aal: 'aal1',
      });
      const refresh = decode(user.refreshToken);
      expect(refresh).toEqual({
        sub: user.id,
        type: 'refresh',
        sid: access.sid,
        jti: expect.any(String),
        iat: expect.any(Number),
        exp: expect.any(Number),
        iss: t.config.jwt.issuer,
        aud: t.config.jwt.audience,
      });
      expect(refresh).not.toHaveProperty('role');
    });

    it('rejects a duplicate email (any case, any padding) with 409 CONFLICT', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .post('/api/auth/register')
        .send({ email: ` ${user.email.toUpperCase()}`, password: STRONG_PASSWORD })
        .expect(409);
      expectErrorEnvelope(res.body, 'CONFLICT');
    });

    it('20 concurrent registrations of one email: exactly one 201, the rest 409', async () => {
      const email = uniqueEmail('race');
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.http.post('/api/auth/register').send({ email, password: STRONG_PASSWORD }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    });

    it('lists every failed password rule in details', async () => {
      const res = await t.http
        .post('/api/auth/register')
        .send({ email: uniqueEmail(), password: 'abc' })
        .expect(400);
      expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
      const messages = res.body.error.details
        .filter((d: { field: string }) => d.field === 'password')
        .map((d: { message: string }) => d.message);
      expect(messages).toEqual([
        'Password must be at least 8 characters long',
        'Password must contain at least one uppercase letter',
        'Password must contain at least one number',
        'Password must contain at least one special character (@$!%*?&)',
      ]);
    });

    it.each(['Password1!', 'P@ssw0rd', 'PASSWORD1!', 'Qwerty123!'])(
      'rejects the common password %s',
      async (password) => {
        const res = await t.http
          .post('/api/auth/register')
          .send({ email: uniqueEmail(), password })
          .expect(400);
        expect(res.body.error.details).toContainEqual({
          field: 'password',
          message: 'Password is too common, choose another',
        });
      },
    );

    it('rejects a password over 72 bytes instead of truncating it', async () => {
      const password = `Aa1!${'é'.repeat(35)}`; // 4 + 70 bytes
      const res = await t.http
        .post('/api/auth/register')
        .send({ email: uniqueEmail(), password })
        .expect(400);
      expect(res.body.error.details).toContainEqual({
        field: 'password',
        message: 'Password must be at most 72 bytes',
      });
    });

    it('rejects unknown fields such as role, and bad phone numbers', async () => {
      const res = await t.http
        .post('/api/auth/register')
        .send({
          email: uniqueEmail(),
          password: STRONG_PASSWORD,
          role: 'admin',
          phone_number: '555-1234',
        })
        .expect(400);
      const fields = res.body.error.details.map((d: { field: string }) => d.field);
      expect(fields).toEqual(expect.arrayContaining(['role', 'phone_number']));
    });

    it('applies the 50-character name limit after stripping tags', async () => {
      const ok = await t.http
        .post('/api/auth/register')
        .send({
          email: uniqueEmail(),
          password: STRONG_PASSWORD,
          first_name: `<b>${'a'.repeat(50)}</b>`,
        })
        .expect(201);
      expect(ok.body.user.first_name).toBe('a'.repeat(50));
      await t.http
        .post('/api/auth/register')
        .send({ email: uniqueEmail(), password: STRONG_PASSWORD, first_name: 'a'.repeat(51) })
        .expect(400);
    });
  });

  describe('POST /api/auth/login', () => {
    it('logs in, counts logins and sets last_login', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .post('/api/auth/login')
        .send({ email: ` ${user.email.toUpperCase()} `, password: user.password })
        .expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.user.login_count).toBe(1);
      expect(res.body.user.last_login).toEqual(expect.any(String));
      expect(res.body.tokens.token_type).toBe('Bearer');
      const again = await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password });
      expect(again.body.user.login_count).toBe(2);
    });

    it('answers wrong password, unknown email, inactive user and over-long password identically', async () => {
      const user = await createUser(t.http);
      const inactive = await createUser(t.http);
      await t.app
        .get(DataSource)
        .query(`UPDATE users SET is_active = false WHERE id = $1`, [inactive.id]);
      const attempts = [
        { email: user.email, password: 'Wrong#Password1' },
        { email: uniqueEmail('ghost'), password: STRONG_PASSWORD },
        { email: inactive.email, password: inactive.password },
        { email: user.email, password: `${user.password}${'x'.repeat(80)}` },
      ];
      const bodies = [];
      for (const attempt of attempts) {
        const res = await t.http.post('/api/auth/login').send(attempt).expect(401);
        bodies.push(res.body);
      }
      for (const body of bodies) expect(body).toEqual(bodies[0]);
      expectErrorEnvelope(bodies[0], 'INVALID_CREDENTIALS');
    });

    it('never matches on the first 72 bytes alone', async () => {
      const base = `Aa1!${'b'.repeat(68)}`; // exactly 72 bytes: allowed
      const user = await createUser(t.http, { password: base });
      await login(t.http, user.email, base);
      await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: `${base}EXTRA` })
        .expect(401);
    });

    it('400s on a malformed email or an empty password', async () => {
      await t.http
        .post('/api/auth/login')
        .send({ email: 'not-an-email', password: 'x' })
        .expect(400);
      await t.http.post('/api/auth/login').send({ email: uniqueEmail(), password: '' }).expect(400);
      await t.http.post('/api/auth/login').send({ email: uniqueEmail() }).expect(400);
    });
  });

  describe('POST /api/auth/refresh', () => {
    it('rotates: new pair works, the old refresh token is dead', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: user.refreshToken })
        .expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(Object.keys(res.body)).toEqual(['tokens']);
      expect(res.body.tokens.refresh_token).not.toBe(user.refreshToken);
      await t.http.get('/api/users/me').set(bearer(res.body.tokens.access_token)).expect(200);
      const next = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: res.body.tokens.refresh_token })
        .expect(200);
      expect(next.body.tokens.access_token).toEqual(expect.any(String));
    });

    it('reuse of a rotated token → 401 TOKEN_REUSED, revokes that session only, audited', async () => {
      const user = await createUser(t.http);
      const other = await login(t.http, user.email, user.password);
      const rotated = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: user.refreshToken })
        .expect(200);
      const reuse = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: user.refreshToken })
        .expect(401);
      expectErrorEnvelope(reuse.body, 'TOKEN_REUSED');
      // The whole session is dead: the new refresh token and both access tokens.
      await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: rotated.body.tokens.refresh_token })
        .expect(401);
      await t.http.get('/api/users/me').set(bearer(rotated.body.tokens.access_token)).expect(401);
      await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(401);
      // The user's other session lives on.
      await t.http.get('/api/users/me').set(bearer(other.accessToken)).expect(200);
      const rows = await t.app
        .get(DataSource)
        .query(
          `SELECT action FROM audit_logs WHERE user_id = $1 AND action = 'TOKEN_REUSE_DETECTED'`,
          [user.id],
        );
      expect(rows).toHaveLength(1);
    });

    it('ten concurrent refreshes with one token: exactly one 200, the rest 401, no 500', async () => {
      const user = await createUser(t.http);
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          t.http.post('/api/auth/refresh').send({ refresh_token: user.refreshToken }),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 401)).toHaveLength(9);
    });

    it('stores only a hash of the refresh token', async () => {
      const user = await createUser(t.http);
      const rows = await t.app
        .get(DataSource)
        .query(`SELECT * FROM user_sessions WHERE user_id = $1`, [user.id]);
      expect(JSON.stringify(rows)).not.toContain(user.refreshToken);
      expect(rows[0].refresh_token_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('a role changed since the token was issued: the next pair carries the new role, one rotation', async () => {
      const user = await createUser(t.http);
      const db = t.app.get(DataSource);
      await db.query(`UPDATE users SET role = 'moderator' WHERE id = $1`, [user.id]);
      const res = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: user.refreshToken })
        .expect(200);
      expect(decode(res.body.tokens.access_token)).toMatchObject({ role: 'moderator' });
      const rows = await db.query(
        `SELECT action FROM audit_logs WHERE user_id = $1 AND action = 'TOKEN_REFRESHED'`,
        [user.id],
      );
      expect(rows).toHaveLength(1);
      await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: res.body.tokens.refresh_token })
        .expect(200);
    });

    it('refuses an access token, garbage, a missing token, and a deactivated user', async () => {
      const user = await createUser(t.http);
      const asAccess = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: user.accessToken })
        .expect(401);
      expectErrorEnvelope(asAccess.body, 'INVALID_TOKEN');
      await t.http.post('/api/auth/refresh').send({ refresh_token: 'garbage' }).expect(401);
      const missing = await t.http.post('/api/auth/refresh').send({}).expect(400);
      expectErrorEnvelope(missing.body, 'VALIDATION_ERROR');
      await t.app
        .get(DataSource)
        .query(`UPDATE users SET is_active = false WHERE id = $1`, [user.id]);
      const inactive = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: user.refreshToken })
        .expect(401);
      expectErrorEnvelope(inactive.body, 'INVALID_TOKEN');
    });
  });

  describe('logout, logout-all, change-password', () => {
    it('logout revokes this session’s access and refresh tokens only', async () => {
      const user = await createUser(t.http);
      const other = await login(t.http, user.email, user.password);
      await t.http.post('/api/auth/logout').set(bearer(user.accessToken)).expect(204);
      const me = await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(401);
      expectErrorEnvelope(me.body, 'UNAUTHORIZED');
      expect(me.headers['www-authenticate']).toBe('Bearer');
      await t.http.post('/api/auth/refresh').send({ refresh_token: user.refreshToken }).expect(401);
      await t.http.get('/api/users/me').set(bearer(other.accessToken)).expect(200);
    });

    it('logout-all revokes every session and every outstanding access token', async () => {
      const user = await createUser(t.http);
      const second = await login(t.http, user.email, user.password);
      await t.http.post('/api/auth/logout-all').set(bearer(second.accessToken)).expect(204);
      for (const token of [user.accessToken, second.accessToken]) {
        await t.http.get('/api/users/me').set(bearer(token)).expect(401);
      }
      for (const token of [user.refreshToken, second.refreshToken]) {
        await t.http.post('/api/auth/refresh').send({ refresh_token: token }).expect(401);
      }
    });

    it('change-password verifies the current one, keeps this session, revokes the others', async () => {
      const user = await createUser(t.http);
      const other = await login(t.http, user.email, user.password);
      const wrong = await t.http
        .post('/api/auth/change-password')
        .set(bearer(user.accessToken))
        .send({ current_password: 'Nope#Wrong123', new_password: 'N3w#Passphrase!' })
        .expect(401);
      expectErrorEnvelope(wrong.body, 'INVALID_CREDENTIALS');
      const weak = await t.http
        .post('/api/auth/change-password')
        .set(bearer(user.accessToken))
        .send({ current_password: user.password, new_password: 'weak' })
        .expect(400);
      expect(
        weak.body.error.details.every((d: { field: string }) => d.field === 'new_password'),
      ).toBe(true);
      await t.http
        .post('/api/auth/change-password')
        .set(bearer(user.accessToken))
        .send({ current_password: user.password, new_password: 'N3w#Passphrase!' })
        .expect(204);
      await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
      await t.http.post('/api/auth/refresh').send({ refresh_token: user.refreshToken }).expect(200);
      await t.http.get('/api/users/me').set(bearer(other.accessToken)).expect(401);
      await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: other.refreshToken })
        .expect(401);
      await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(401);
      await login(t.http, user.email, 'N3w#Passphrase!');
    });

    it('protected routes need a token', async () => {
      for (const path of [
        '/api/auth/logout',
        '/api/auth/logout-all',
        '/api/auth/change-password',
      ]) {
        const res = await t.http.post(path).expect(401);
        expectErrorEnvelope(res.body, 'UNAUTHORIZED');
      }
    });
  });

  describe('/api/users/me', () => {
    it('returns the current user, accepting a lower-case bearer scheme', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .get('/api/users/me')
        .set('Authorization', `bearer ${user.accessToken}`)
        .expect(200);
      expect(res.body.email).toBe(user.email);
      expect(res.body).not.toHaveProperty('password_hash');
    });

    it('PATCH updates names (tags stripped), phone and replaces preferences', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .patch('/api/users/me')
        .set(bearer(user.accessToken))
        .send({
          first_name: '<em>Grace</em>',
          last_name: '<b></b>',
          phone_number: '+442071838750',
          preferences: { theme: 'dark' },
        })
        .expect(200);
      expect(res.body).toMatchObject({
        first_name: 'Grace',
        last_name: null,
        phone_number: '+442071838750',
        preferences: { theme: 'dark' },
      });
      const replaced = await t.http
        .patch('/api/users/me')
        .set(bearer(user.accessToken))
        .send({ preferences: { lang: 'fr' } })
        .expect(200);
      expect(replaced.body.preferences).toEqual({ lang: 'fr' });
      expect(replaced.body.first_name).toBe('Grace');
    });

    it('PATCH rejects role, email, bad phones and non-object preferences', async () => {
      const user = await createUser(t.http);
      for (const body of [
        { role: 'admin' },
        { email: 'x@y.io' },
        { phone_number: '+1' },
        { preferences: [1] },
        { preferences: 'x' },
        { is_active: false },
      ]) {
        const res = await t.http
          .patch('/api/users/me')
          .set(bearer(user.accessToken))
          .send(body)
          .expect(400);
        expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
      }
    });

    it('refuses NUL characters (PostgreSQL cannot store them) with 400, not 500', async () => {
      const user = await createUser(t.http);
      for (const body of [
        { first_name: 'a\u0000b' },
        { preferences: { 'k\u0000': 1 } },
        { preferences: { k: 'v\u0000' } },
      ]) {
        const res = await t.http
          .patch('/api/users/me')
          .set(bearer(user.accessToken))
          .send(body)
          .expect(400);
        expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
      }
      await t.http
        .post('/api/auth/login')
        .send({ email: user.email, password: 'a\u0000b' })
        .expect(400);
    });

    it('sees a deactivation and a role change on the very next request', async () => {
      const user = await createUser(t.http);
      const ds = t.app.get(DataSource);
      await ds.query(`UPDATE users SET role = 'moderator' WHERE id = $1`, [user.id]);
      const me = await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
      expect(me.body.role).toBe('moderator');
      await ds.query(`UPDATE users SET is_active = false WHERE id = $1`, [user.id]);
      await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(401);
    });
  });
});
