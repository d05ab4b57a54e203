import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { runCli } from '../../src/cli/cli';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { UsersService } from '../../src/users/users.service';
import {
  bearer,
  createUser,
  expectErrorEnvelope,
  login,
  RegisteredUser,
  uniqueEmail,
} from '../utils/factories';
import { createTestApp, FAST_ENV, TestApp } from '../utils/test-app';
import { createTestStorage, usingPostgres } from '../utils/test-env';

const ADMIN_EMAIL = 'root-admin@example.com';
const ADMIN_PASSWORD = 'Adm1n#Str0ng!pw';
const OTHER_PASSWORD = 'Zq7$wE3!rT9y';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

type Http = TestApp['http'];

async function auditRows(db: DataSource, userId: string, action: string) {
  return db.query<Array<{ user_id: string; details: Record<string, unknown> }>>(
    `SELECT user_id, details FROM audit_logs WHERE user_id = $1 AND action = $2 ORDER BY created_at`,
    [userId, action],
  );
}

async function setRole(http: Http, adminToken: string, id: string, role: string) {
  await http.patch(`/api/users/${id}`).set(bearer(adminToken)).send({ role }).expect(200);
}

describe('user administration', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: { id: string; accessToken: string };
  let moderator: RegisteredUser;
  let plain: RegisteredUser;

  beforeAll(async () => {
    t = await createTestApp({
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      LOCKOUT_MAX_ATTEMPTS: '3',
    });
    db = t.app.get(DataSource);
    const res = await t.http
      .post('/api/auth/login')
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
      .expect(200);
    admin = { id: res.body.user.id, accessToken: res.body.tokens.access_token };
    moderator = await createUser(t.http);
    await setRole(t.http, admin.accessToken, moderator.id, 'moderator');
    plain = await createUser(t.http);
  });
  afterAll(() => t.close());

  describe('GET /api/users', () => {
    it('admins and moderators get {data, page, limit, total} with full user objects', async () => {
      for (const token of [admin.accessToken, moderator.accessToken]) {
        const res = await t.http.get('/api/users').set(bearer(token)).expect(200);
        expect(Object.keys(res.body).sort()).toEqual(['data', 'limit', 'page', 'total']);
        expect(res.body.page).toBe(1);
        expect(res.body.limit).toBe(20);
        expect(res.body.total).toBeGreaterThanOrEqual(3);
        const me = res.body.data.find((u: { id: string }) => u.id === admin.id);
        expect(me).toMatchObject({ email: ADMIN_EMAIL, role: 'admin', is_active: true });
        expect(Object.keys(me)).toHaveLength(15);
        expect(JSON.stringify(res.body)).not.toMatch(/password|\$2[aby]\$/);
      }
    });

    it('pages through an email search without overlap; total counts all matches', async () => {
      const marker = `pg${randomBytes(4).toString('hex')}`;
      for (let i = 0; i < 5; i++) await createUser(t.http, { email: `${marker}-${i}@example.com` });

      const seen: string[] = [];
      for (const page of [1, 2, 3]) {
        const res = await t.http
          .get('/api/users')
          .query({ email: marker, limit: 2, page })
          .set(bearer(admin.accessToken))
          .expect(200);
        expect(res.body).toMatchObject({ page, limit: 2, total: 5 });
        expect(res.body.data).toHaveLength(page < 3 ? 2 : 1);
        seen.push(...res.body.data.map((u: { email: string }) => u.email));
      }
      expect(new Set(seen).size).toBe(5);
      expect(seen.every((email) => email.startsWith(marker))).toBe(true);

      const beyond = await t.http
        .get('/api/users')
        .query({ email: marker, limit: 2, page: 4 })
        .set(bearer(admin.accessToken))
        .expect(200);
      expect(beyond.body).toMatchObject({ data: [], total: 5 });
    });

    it('email search is case-insensitive and treats % _ \\ literally', async () => {
      const marker = `Cs${randomBytes(4).toString('hex')}`;
      const underscored = await createUser(t.http, { email: `${marker}_x@example.com` });
      await createUser(t.http, { email: `${marker}ax@example.com` });

      const upper = await t.http
        .get('/api/users')
        .query({ email: marker.toUpperCase() })
        .set(bearer(admin.accessToken))
        .expect(200);
      expect(upper.body.total).toBe(2);

      const literal = await t.http
        .get('/api/users')
        .query({ email: `${marker}_x` })
        .set(bearer(admin.accessToken))
        .expect(200);
      expect(literal.body.data.map((u: { id: string }) => u.id)).toEqual([underscored.id]);

      for (const wildcard of ['%', '\\', `${marker}%x`]) {
        const res = await t.http
          .get('/api/users')
          .query({ email: wildcard })
          .set(bearer(admin.accessToken))
          .expect(200);
        expect(res.body.total).toBe(0);
      }
    });

    it('filters by role', async () => {
      const res = await t.http
        .get('/api/users')
        .query({ role: 'moderator', limit: 100 })
        .set(bearer(admin.accessToken))
        .expect(200);
      expect(res.body.data.length).toBeGreaterThanOrEqual(1);
      expect(res.body.data.every((u: { role: string }) => u.role === 'moderator')).toBe(true);
      expect(res.body.data.map((u: { id: string }) => u.id)).toContain(moderator.id);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=', 'limit'],
      ['page=0', 'page'],
      ['page=-1', 'page'],
      ['page=1.5', 'page'],
      ['page=1e300', 'page'],
      ['role=root', 'role'],
      ['email=' + 'a'.repeat(256), 'email'],
      ['sort=email', 'sort'],
    ])('%s → 400 VALIDATION_ERROR naming %s', async (query, field) => {
      const res = await t.http
        .get(`/api/users?${query}`)
        .set(bearer(admin.accessToken))
        .expect(400);
      expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('401 without a token, 403 FORBIDDEN for a plain user', async () => {
      const anon = await t.http.get('/api/users').expect(401);
      expectErrorEnvelope(anon.body, 'UNAUTHORIZED');
      const res = await t.http.get('/api/users').set(bearer(plain.accessToken)).expect(403);
      expectErrorEnvelope(res.body, 'FORBIDDEN');
    });
  });

  describe('GET /api/users/:id', () => {
    it('admins and moderators read any user', async () => {
      for (const token of [admin.accessToken, moderator.accessToken]) {
        const res = await t.http.get(`/api/users/${plain.id}`).set(bearer(token)).expect(200);
        expect(res.body).toMatchObject({ id: plain.id, email: plain.email, role: 'user' });
        expect(res.body).not.toHaveProperty('password_hash');
      }
    });

    it('/api/users/me is still the caller, not a lookup by id', async () => {
      const res = await t.http.get('/api/users/me').set(bearer(moderator.accessToken)).expect(200);
      expect(res.body.id).toBe(moderator.id);
    });

    it('404 NOT_FOUND for an unknown id, 400 VALIDATION_ERROR for a malformed one', async () => {
      const missing = await t.http
        .get(`/api/users/${MISSING_ID}`)
        .set(bearer(admin.accessToken))
        .expect(404);
      expectErrorEnvelope(missing.body, 'NOT_FOUND');
      const bad = await t.http.get('/api/users/xyz').set(bearer(admin.accessToken)).expect(400);
      expectErrorEnvelope(bad.body, 'VALIDATION_ERROR');
    });

    it('401 without a token, 403 for a plain user', async () => {
      expectErrorEnvelope(
        (await t.http.get(`/api/users/${plain.id}`).expect(401)).body,
        'UNAUTHORIZED',
      );
      const res = await t.http
        .get(`/api/users/${admin.id}`)
        .set(bearer(plain.accessToken))
        .expect(403);
      expectErrorEnvelope(res.body, 'FORBIDDEN');
    });
  });

  describe('PATCH /api/users/:id', () => {
    it('a role change takes effect on the user’s very next request, with an audit row', async () => {
      const target = await createUser(t.http);
      await t.http.get('/api/users').set(bearer(target.accessToken)).expect(403);

      const res = await t.http
        .patch(`/api/users/${target.id}`)
        .set(bearer(admin.accessToken))
        .send({ role: 'moderator' })
        .expect(200);
      expect(res.body).toMatchObject({ id: target.id, role: 'moderator', is_active: true });
      // Same access token, issued while the user was a plain user.
      await t.http.get('/api/users').set(bearer(target.accessToken)).expect(200);

      await setRole(t.http, admin.accessToken, target.id, 'user');
      await t.http.get('/api/users').set(bearer(target.accessToken)).expect(403);

      const rows = await auditRows(db, target.id, 'ROLE_CHANGED');
      expect(rows.map((r) => [r.details.from, r.details.to, r.details.actor_id])).toEqual([
        ['user', 'moderator', admin.id],
        ['moderator', 'user', admin.id],
      ]);
    });

    it('deactivation revokes every session at once; reactivation lets the user log in again', async () => {
      const target = await createUser(t.http);
      const second = await login(t.http, target.email, target.password);

      const res = await t.http
        .patch(`/api/users/${target.id}`)
        .set(bearer(admin.accessToken))
        .send({ is_active: false })
        .expect(200);
      expect(res.body.is_active).toBe(false);

      for (const session of [target, second]) {
        const access = await t.http
          .get('/api/users/me')
          .set(bearer(session.accessToken))
          .expect(401);
        expectErrorEnvelope(access.body, 'UNAUTHORIZED');
        const refresh = await t.http
          .post('/api/auth/refresh')
          .send({ refresh_token: session.refreshToken })
          .expect(401);
        expectErrorEnvelope(refresh.body, 'INVALID_TOKEN');
      }
      const denied = await t.http
        .post('/api/auth/login')
        .send({ email: target.email, password: target.password })
        .expect(401);
      expectErrorEnvelope(denied.body, 'INVALID_CREDENTIALS');
      const active = await db.query(
        `SELECT id FROM user_sessions WHERE user_id = $1 AND is_active IS TRUE`,
        [target.id],
      );
      expect(active).toHaveLength(0);
      const [deactivated] = await auditRows(db, target.id, 'USER_DEACTIVATED');
      expect(deactivated.details).toMatchObject({ actor_id: admin.id, revoked_sessions: 2 });

      await t.http
        .patch(`/api/users/${target.id}`)
        .set(bearer(admin.accessToken))
        .send({ is_active: true })
        .expect(200);
      await login(t.http, target.email, target.password);
      const [activated] = await auditRows(db, target.id, 'USER_ACTIVATED');
      expect(activated.details.actor_id).toBe(admin.id);
    });

    it('a PATCH that changes nothing answers 200 and writes no audit row', async () => {
      const res = await t.http
        .patch(`/api/users/${plain.id}`)
        .set(bearer(admin.accessToken))
        .send({ role: 'user', is_active: true })
        .expect(200);
      expect(res.body.role).toBe('user');
      expect(await auditRows(db, plain.id, 'ROLE_CHANGED')).toHaveLength(0);
    });

    it('the last active admin can be neither demoted nor deactivated (409 CONFLICT)', async () => {
      for (const body of [{ role: 'user' }, { role: 'moderator' }, { is_active: false }]) {
        const res = await t.http
          .patch(`/api/users/${admin.id}`)
          .set(bearer(admin.accessToken))
          .send(body)
          .expect(409);
        expectErrorEnvelope(res.body, 'CONFLICT');
      }
      const me = await t.http.get('/api/users/me').set(bearer(admin.accessToken)).expect(200);
      expect(me.body).toMatchObject({ role: 'admin', is_active: true });
    });

    it('with a second admin, an admin may step down', async () => {
      const second = await createUser(t.http);
      await setRole(t.http, admin.accessToken, second.id, 'admin');
      await t.http
        .patch(`/api/users/${second.id}`)
        .set(bearer(second.accessToken))
        .send({ role: 'user' })
        .expect(200);
      await t.http.get('/api/users').set(bearer(second.accessToken)).expect(403);
    });

    it.each([
      [{}, 'role'],
      [{ role: 'root' }, 'role'],
      [{ role: null }, 'role'],
      [{ is_active: 'no' }, 'is_active'],
      [{ is_active: null }, 'is_active'],
      [{ role: 'user', email: 'x@y.io' }, 'email'],
      [{ role: 'user', password_hash: 'x' }, 'password_hash'],
    ])('body %p → 400 VALIDATION_ERROR naming %s', async (body, field) => {
      const res = await t.http
        .patch(`/api/users/${plain.id}`)
        .set(bearer(admin.accessToken))
        .send(body)
        .expect(400);
      expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('404 unknown id, 400 malformed id, 401 without token, 403 for moderators and users', async () => {
      const missing = await t.http
        .patch(`/api/users/${MISSING_ID}`)
        .set(bearer(admin.accessToken))
        .send({ role: 'user' })
        .expect(404);
      expectErrorEnvelope(missing.body, 'NOT_FOUND');
      const bad = await t.http
        .patch('/api/users/not-a-uuid')
        .set(bearer(admin.accessToken))
        .send({ role: 'user' })
        .expect(400);
      expectErrorEnvelope(bad.body, 'VALIDATION_ERROR');
      const anon = await t.http.patch(`/api/users/${plain.id}`).send({ role: 'admin' }).expect(401);
      expectErrorEnvelope(anon.body, 'UNAUTHORIZED');
      for (const token of [moderator.accessToken, plain.accessToken]) {
        const res = await t.http
          .patch(`/api/users/${plain.id}`)
          .set(bearer(token))
          .send({ role: 'admin' })
          .expect(403);
        expectErrorEnvelope(res.body, 'FORBIDDEN');
      }
      const unchanged = await t.http.get(`/api/users/${plain.id}`).set(bearer(admin.accessToken));
      expect(unchanged.body.role).toBe('user');
    });
  });

  describe('POST /api/users/:id/unlock', () => {
    it('clears the lockout of that user’s email, with an audit row', async () => {
      const target = await createUser(t.http);
      for (let i = 0; i < 3; i++) {
        await t.http
          .post('/api/auth/login')
          .send({ email: target.email, password: OTHER_PASSWORD })
          .expect(401);
      }
      const locked = await t.http
        .post('/api/auth/login')
        .send({ email: target.email, password: target.password })
        .expect(401);
      expectErrorEnvelope(locked.body, 'ACCOUNT_LOCKED');

      await t.http
        .post(`/api/users/${target.id}/unlock`)
        .set(bearer(admin.accessToken))
        .expect(204);
      await login(t.http, target.email, target.password);
      const [row] = await auditRows(db, target.id, 'ACCOUNT_UNLOCKED');
      expect(row.details.actor_id).toBe(admin.id);
    });

    it('404 unknown id, 400 malformed id, 401 without token, 403 for moderators and users', async () => {
      const missing = await t.http
        .post(`/api/users/${MISSING_ID}/unlock`)
        .set(bearer(admin.accessToken))
        .expect(404);
      expectErrorEnvelope(missing.body, 'NOT_FOUND');
      const bad = await t.http
        .post('/api/users/1/unlock')
        .set(bearer(admin.accessToken))
        .expect(400);
      expectErrorEnvelope(bad.body, 'VALIDATION_ERROR');
      expectErrorEnvelope(
        (await t.http.post(`/api/users/${plain.id}/unlock`).expect(401)).body,
        'UNAUTHORIZED',
      );
      for (const token of [moderator.accessToken, plain.accessToken]) {
        const res = await t.http
          .post(`/api/users/${plain.id}/unlock`)
          .set(bearer(token))
          .expect(403);
        expectErrorEnvelope(res.body, 'FORBIDDEN');
      }
    });
  });

  it('Swagger documents the roles of each administration route', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const expectRoles = (path: string, method: string, roles: string) => {
      const op = doc.paths[path][method];
      expect(op.responses['403'].description).toMatch(new RegExp(`^Requires role: ${roles}\n`));
      expect(op.security).toEqual([{ bearer: [] }]);
    };
    expectRoles('/api/users', 'get', 'admin or moderator');
    expectRoles('/api/users/{id}', 'get', 'admin or moderator');
    expectRoles('/api/users/{id}', 'patch', 'admin');
    expectRoles('/api/users/{id}/unlock', 'post', 'admin');
    expect(doc.paths['/api/users/{id}'].patch.summary).toMatch(/admin only/);
  });

  // Last: it may leave the suite's admin demoted.
  it('concurrent changes that would each remove an admin: one wins, one gets 409', async () => {
    let current = { id: admin.id, token: admin.accessToken };
    for (let round = 0; round < 3; round++) {
      const rival = await createUser(t.http);
      await setRole(t.http, current.token, rival.id, 'admin');
      // Same actor, so both pass the role guard; only the in-transaction check can stop one.
      const [demoteRival, demoteSelf] = await Promise.all([
        t.http.patch(`/api/users/${rival.id}`).set(bearer(current.token)).send({ role: 'user' }),
        t.http.patch(`/api/users/${current.id}`).set(bearer(current.token)).send({ role: 'user' }),
      ]);
      expect([demoteRival.status, demoteSelf.status].sort()).toEqual([200, 409]);
      const admins = await db.query<Array<{ id: string }>>(
        `SELECT id FROM users WHERE role = 'admin' AND is_active IS TRUE`,
      );
      expect(admins).toHaveLength(1);
      if (demoteSelf.status === 200) current = { id: rival.id, token: rival.accessToken };
      expect(admins[0].id).toBe(current.id);
    }
  });
});

describe('first admin', () => {
  it('ADMIN_EMAIL/ADMIN_PASSWORD create an active admin once; a restart keeps its password', async () => {
    const email = uniqueEmail('boot');
    const t = await createTestApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD });
    const first = await t.http.post('/api/auth/login').send({ email, password: ADMIN_PASSWORD });
    expect(first.status).toBe(200);
    expect(first.body.user).toMatchObject({ role: 'admin', is_active: true });
    const db = t.app.get(DataSource);
    expect(await auditRows(db, first.body.user.id, 'USER_REGISTERED')).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ via: 'bootstrap' }) }),
    ]);
    await t.close({ keepStorage: true });

    const again = await createTestApp(
      { ADMIN_EMAIL: email, ADMIN_PASSWORD: OTHER_PASSWORD },
      t.storage,
    );
    try {
      await login(again.http, email, ADMIN_PASSWORD);
      await again.http
        .post('/api/auth/login')
        .send({ email, password: OTHER_PASSWORD })
        .expect(401);
      const rows = await again.app
        .get(DataSource)
        .query(`SELECT id FROM users WHERE email = $1`, [email]);
      expect(rows).toHaveLength(1);
    } finally {
      await again.close();
    }
  });

  it('an existing user is promoted and reactivated, its password left alone', async () => {
    const t = await createTestApp();
    const user = await createUser(t.http);
    await t.app
      .get(DataSource)
      .query(`UPDATE users SET is_active = false WHERE id = $1`, [user.id]);
    await t.close({ keepStorage: true });

    const booted = await createTestApp(
      { ADMIN_EMAIL: user.email.toUpperCase(), ADMIN_PASSWORD: OTHER_PASSWORD },
      t.storage,
    );
    try {
      const res = await booted.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      expect(res.body.user).toMatchObject({ id: user.id, role: 'admin', is_active: true });
      const db = booted.app.get(DataSource);
      const [changed] = await auditRows(db, user.id, 'ROLE_CHANGED');
      expect(changed.details).toMatchObject({ via: 'bootstrap', from: 'user', to: 'admin' });
      expect(await auditRows(db, user.id, 'USER_ACTIVATED')).toHaveLength(1);
    } finally {
      await booted.close();
    }
  });

  it('concurrent runs of the same bootstrap end with exactly one admin and no error', async () => {
    const t = await createTestApp();
    try {
      const db = t.app.get(DataSource);
      const users = t.app.get(UsersService);
      const email = uniqueEmail('race');
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          users
            .create({ email, password: ADMIN_PASSWORD, asAdminVia: 'bootstrap' })
            .then(({ user, created }) => ({ id: user.id, created })),
        ),
      );
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const rows = await db.query(`SELECT role, is_active FROM users WHERE email = $1`, [email]);
      expect(rows).toEqual([{ role: 'admin', is_active: true }]);
    } finally {
      await t.close();
    }
  });

  (usingPostgres ? it : it.skip)(
    'two replicas starting together on one PostgreSQL database → one admin, both up',
    async () => {
      // Migrate first: concurrent first-time migrations are a separate concern.
      const seed = await createTestApp();
      await seed.close({ keepStorage: true });
      const email = uniqueEmail('replica');
      const env = { ADMIN_EMAIL: email, ADMIN_PASSWORD };
      const [a, b] = await Promise.all([
        createTestApp(env, seed.storage),
        createTestApp(env, seed.storage),
      ]);
      try {
        const rows = await a.app
          .get(DataSource)
          .query(`SELECT role, is_active FROM users WHERE email = $1`, [email]);
        expect(rows).toEqual([{ role: 'admin', is_active: true }]);
        await login(b.http, email, ADMIN_PASSWORD);
      } finally {
        await a.close({ keepStorage: true });
        await b.close();
      }
    },
  );

  it('a weak ADMIN_PASSWORD stops start-up with a message naming ADMIN_PASSWORD', async () => {
    const storage = await createTestStorage();
    const config = loadConfig({
      ...FAST_ENV,
      ...storage.env,
      ADMIN_EMAIL: uniqueEmail('weak'),
      ADMIN_PASSWORD: 'Password1!',
    });
    const app = await createApp(config);
    try {
      await expect(app.init()).rejects.toThrow(/ADMIN_PASSWORD: .*too common/);
      const rows = await app.get(DataSource).query(`SELECT id FROM users`);
      expect(rows).toEqual([]);
    } finally {
      await app.close();
      await storage.cleanup();
    }
  });
});

describe('cli create-admin', () => {
  function io(env: Record<string, string>, stdinText?: string) {
    const stdin = new PassThrough();
    if (stdinText !== undefined) stdin.end(stdinText);
    let out = '';
    let err = '';
    const sink = (append: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _enc, done) {
          append(chunk.toString());
          done();
        },
      });
    return {
      io: {
        env,
        stdin,
        stdout: sink((s) => (out += s)),
        stderr: sink((s) => (err += s)),
      },
      out: () => out,
      err: () => err,
    };
  }

  it('creates an admin with the password from stdin, then from ADMIN_PASSWORD promotes without touching passwords', async () => {
    const storage = await createTestStorage();
    const env = { ...FAST_ENV, ...storage.env };
    const email = uniqueEmail('cli');
    try {
      const created = io(env, `${ADMIN_PASSWORD}\n`);
      await expect(runCli(['create-admin', '--email', email], created.io)).resolves.toBe(0);
      expect(created.out()).toContain('created');
      expect(created.out() + created.err()).not.toContain(ADMIN_PASSWORD);

      const again = io({ ...env, ADMIN_PASSWORD: OTHER_PASSWORD });
      await expect(runCli(['create-admin', `--email=${email}`], again.io)).resolves.toBe(0);
      expect(again.out()).toContain('already an active admin');

      const t = await createTestApp({}, storage);
      const plainUser = await (async () => {
        try {
          const res = await t.http
            .post('/api/auth/login')
            .send({ email, password: ADMIN_PASSWORD })
            .expect(200);
          expect(res.body.user.role).toBe('admin');
          await t.http
            .post('/api/auth/login')
            .send({ email, password: OTHER_PASSWORD })
            .expect(401);
          return await createUser(t.http);
        } finally {
          await t.close({ keepStorage: true });
        }
      })();

      const promote = io({ ...env, ADMIN_PASSWORD: OTHER_PASSWORD });
      await expect(runCli(['create-admin', '--email', plainUser.email], promote.io)).resolves.toBe(
        0,
      );
      expect(promote.out()).toContain('promoted');

      const check = await createTestApp({}, storage);
      try {
        const res = await check.http
          .post('/api/auth/login')
          .send({ email: plainUser.email, password: plainUser.password })
          .expect(200);
        expect(res.body.user).toMatchObject({ id: plainUser.id, role: 'admin' });
      } finally {
        await check.close({ keepStorage: true });
      }
    } finally {
      await storage.cleanup();
    }
  });

  it('refuses a password on the command line, a weak password and a bad email', async () => {
    const storage = await createTestStorage();
    const env = { ...FAST_ENV, ...storage.env };
    try {
      const argv = io(env, `${ADMIN_PASSWORD}\n`);
      await expect(
        runCli(['create-admin', '--email', uniqueEmail(), '--password', ADMIN_PASSWORD], argv.io),
      ).resolves.toBe(2);
      expect(argv.err()).toMatch(/never as an argument/);
      expect(argv.err()).not.toContain(ADMIN_PASSWORD);

      const weak = io(env, 'short\n');
      await expect(runCli(['create-admin', '--email', uniqueEmail()], weak.io)).resolves.toBe(1);
      expect(weak.err()).toMatch(/password rejected: .*at least 8 characters/);

      const badEmail = io(env, `${ADMIN_PASSWORD}\n`);
      await expect(runCli(['create-admin', '--email', 'nope'], badEmail.io)).resolves.toBe(1);
      expect(badEmail.err()).toMatch(/email rejected/);

      const empty = io(env, '');
      await expect(runCli(['create-admin', '--email', uniqueEmail()], empty.io)).resolves.toBe(2);

      const usage = io(env);
      await expect(runCli(['drop-tables'], usage.io)).resolves.toBe(2);
      expect(usage.err()).toMatch(/usage/);
    } finally {
      await storage.cleanup();
    }
  });
});
