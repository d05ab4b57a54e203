import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import type { StoredRow as Row } from '../../src/audit/audit-chain';
import { pruneChain, sealPending, verifyChain } from '../../src/audit/audit-chain.repository';
import { AuditRetentionService } from '../../src/audit/audit-retention.service';
import { AuditService } from '../../src/audit/audit.service';
import { runAuditVerify } from '../../src/cli/audit-verify';
import { loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import {
  bearer,
  createUser,
  expectErrorEnvelope,
  login,
  RegisteredUser,
  STRONG_PASSWORD,
  uniqueEmail,
} from '../utils/factories';
import { createTestApp, TestApp } from '../utils/test-app';

const ADMIN_PASSWORD = 'Adm1n#Audit$Pass';
const OTHER_PASSWORD = 'N3w#Secret$Pass';
const WRONG_PASSWORD = 'Wr0ng#Guess$Pass';
/** Every password this suite sends: none may ever reach an audit row. */
const PASSWORDS = [STRONG_PASSWORD, ADMIN_PASSWORD, OTHER_PASSWORD, WRONG_PASSWORD];

const dbOf = (t: TestApp) => t.app.get(DataSource);

/** Rows in chain order, after sealing what is committed (the sealer runs about once a second). */
async function auditRows(t: TestApp, where = 'TRUE', params: unknown[] = []): Promise<Row[]> {
  await sealPending(dbOf(t));
  return dbOf(t).query(`SELECT * FROM audit_logs WHERE ${where} ORDER BY seq`, params);
}

const byRequest = (t: TestApp, requestId: string) =>
  auditRows(t, `details->>'request_id' = $1`, [requestId]);

/** Detached rows land just after the response: poll briefly. */
async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const rid = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

/** No password, bcrypt hash or JWT anywhere in any column of any row. */
async function expectNoSecrets(t: TestApp) {
  const rows = await auditRows(t);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    const text = JSON.stringify(row);
    expect(text).not.toMatch(/\$2[aby]\$/);
    expect(text).not.toContain('eyJ');
    for (const password of PASSWORDS) expect(text).not.toContain(password);
  }
}

async function adminToken(t: TestApp): Promise<{ id: string; token: string }> {
  const email = t.config.admin!.email;
  let tokens = await login(t.http, email, ADMIN_PASSWORD).catch(() => null);
  if (!tokens) {
    // The ADMIN_EMAIL bootstrap is not there: promote a registered user instead.
    await createUser(t.http, { email, password: ADMIN_PASSWORD });
    await dbOf(t).query(`UPDATE users SET role = 'admin' WHERE email = $1`, [email]);
    tokens = await login(t.http, email, ADMIN_PASSWORD);
  }
  const [{ id }] = await dbOf(t).query<[{ id: string }]>(`SELECT id FROM users WHERE email = $1`, [
    email,
  ]);
  return { id, token: tokens.accessToken };
}

describe('audit trail', () => {
  let t: TestApp;
  let admin: { id: string; token: string };

  beforeAll(async () => {
    t = await createTestApp({
      ADMIN_EMAIL: uniqueEmail('admin'),
      ADMIN_PASSWORD,
      LOCKOUT_MAX_ATTEMPTS: '3',
    });
    admin = await adminToken(t);
  });
  afterAll(() => t?.close());

  describe('rows for every action', () => {
    it('register and login write rows with user, resource, ip, user agent and request id', async () => {
      const email = uniqueEmail();
      const registerId = rid('reg');
      const res = await t.http
        .post('/api/auth/register')
        .set('User-Agent', 'audit-test/1.0')
        .set('X-Request-Id', registerId)
        .send({ email, password: STRONG_PASSWORD })
        .expect(201);
      const [registered] = await byRequest(t, registerId);
      expect(registered).toMatchObject({
        user_id: res.body.user.id,
        action: 'USER_REGISTERED',
        resource: 'user',
        user_agent: 'audit-test/1.0',
      });
      expect(registered.ip_address).toMatch(/127\.0\.0\.1|::1/);
      expect(registered.details).toMatchObject({ request_id: registerId });

      const loginId = rid('login');
      await t.http
        .post('/api/auth/login')
        .set('X-Request-Id', loginId)
        .send({ email, password: STRONG_PASSWORD })
        .expect(200);
      const rows = await byRequest(t, loginId);
      expect(rows.map((r) => [r.action, r.user_id])).toEqual([['USER_LOGIN', res.body.user.id]]);
    });

    it('failed logins, the lockout and logins while locked are recorded (detached)', async () => {
      const user = await createUser(t.http);
      const ids = [rid('f1'), rid('f2'), rid('f3'), rid('f4')];
      for (const [i, id] of ids.entries()) {
        const res = await t.http
          .post('/api/auth/login')
          .set('X-Request-Id', id)
          .send({ email: user.email, password: i < 3 ? WRONG_PASSWORD : STRONG_PASSWORD })
          .expect(401);
        expectErrorEnvelope(res.body, i < 3 ? 'INVALID_CREDENTIALS' : 'ACCOUNT_LOCKED');
      }
      const rows = await eventually(
        () => auditRows(t, `details->>'email' = $1`, [user.email]),
        (r) => r.length >= 5,
      );
      // Detached writes of consecutive requests may land in either order.
      const of = (id: string) =>
        rows
          .filter((r) => r.details?.request_id === id)
          .map((r) => [r.action, r.details?.reason ?? null, r.user_id])
          .sort();
      expect(of(ids[0])).toEqual([['LOGIN_FAILED', 'wrong_password', user.id]]);
      expect(of(ids[1])).toEqual([['LOGIN_FAILED', 'wrong_password', user.id]]);
      expect(of(ids[2])).toEqual([
        ['ACCOUNT_LOCKED', null, user.id],
        ['LOGIN_FAILED', 'wrong_password', user.id],
      ]);
      expect(of(ids[3])).toEqual([['LOGIN_FAILED', 'account_locked', null]]);
    });

    it('an unknown email fails with user_id null', async () => {
      const email = uniqueEmail('ghost');
      await t.http.post('/api/auth/login').send({ email, password: WRONG_PASSWORD }).expect(401);
      const [row] = await eventually(
        () => auditRows(t, `details->>'email' = $1`, [email]),
        (r) => r.length === 1,
      );
      expect(row).toMatchObject({ user_id: null, action: 'LOGIN_FAILED' });
      expect(row.details).toMatchObject({ reason: 'unknown_email' });
    });

    it('refresh, refresh-token reuse (once, no duplicate failure row) and an invalid token', async () => {
      const user = await createUser(t.http);
      const refreshId = rid('refresh');
      const rotated = await t.http
        .post('/api/auth/refresh')
        .set('X-Request-Id', refreshId)
        .send({ refresh_token: user.refreshToken })
        .expect(200);
      expect((await byRequest(t, refreshId)).map((r) => [r.action, r.user_id])).toEqual([
        ['TOKEN_REFRESHED', user.id],
      ]);

      const reuseId = rid('reuse');
      const reused = await t.http
        .post('/api/auth/refresh')
        .set('X-Request-Id', reuseId)
        .send({ refresh_token: user.refreshToken })
        .expect(401);
      expectErrorEnvelope(reused.body, 'TOKEN_REUSED');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await byRequest(t, reuseId)).map((r) => [r.action, r.user_id])).toEqual([
        ['TOKEN_REUSE_DETECTED', user.id],
      ]);
      expect(rotated.body.tokens.refresh_token).toBeDefined();

      const badId = rid('badrefresh');
      await t.http
        .post('/api/auth/refresh')
        .set('X-Request-Id', badId)
        .send({ refresh_token: 'not.a.token' })
        .expect(401);
      const [failure] = await eventually(
        () => byRequest(t, badId),
        (r) => r.length === 1,
      );
      expect(failure).toMatchObject({ user_id: null, action: 'TOKEN_REFRESHED' });
      expect(failure.details).toMatchObject({ outcome: 'failure', status: 401 });
    });

    it('profile update, session revocation, password change (ok and refused), logout, logout-all', async () => {
      const user = await createUser(t.http);
      const second = await login(t.http, user.email, STRONG_PASSWORD);
      const auth = bearer(user.accessToken);
      const expectRows = async (id: string, expected: Array<[string, string | null]>) => {
        const rows = await eventually(
          () => byRequest(t, id),
          (r) => r.length >= expected.length,
        );
        expect(rows.map((r) => [r.action, r.user_id])).toEqual(expected);
        return rows;
      };

      let id = rid('patch');
      await t.http
        .patch('/api/users/me')
        .set(auth)
        .set('X-Request-Id', id)
        .send({ first_name: 'Ada' })
        .expect(200);
      await expectRows(id, [['USER_UPDATED', user.id]]);

      id = rid('nosession');
      await t.http
        .delete(`/api/sessions/${randomUUID()}`)
        .set(auth)
        .set('X-Request-Id', id)
        .expect(404);
      const [missing] = await expectRows(id, [['SESSION_REVOKED', user.id]]);
      expect(missing.details).toMatchObject({
        outcome: 'failure',
        status: 404,
        error: 'NOT_FOUND',
      });

      const sessions = await t.http.get('/api/sessions').set(auth).expect(200);
      const other = sessions.body.data.find((s: { current: boolean }) => !s.current);
      id = rid('revoke');
      await t.http
        .delete(`/api/sessions/${other.id}`)
        .set(auth)
        .set('X-Request-Id', id)
        .expect(204);
      await expectRows(id, [['SESSION_REVOKED', user.id]]);
      await t.http.post('/api/auth/logout').set(bearer(second.accessToken)).expect(401);

      id = rid('badpw');
      await t.http
        .post('/api/auth/change-password')
        .set(auth)
        .set('X-Request-Id', id)
        .send({ current_password: WRONG_PASSWORD, new_password: OTHER_PASSWORD })
        .expect(401);
      const [refused] = await expectRows(id, [['PASSWORD_CHANGED', user.id]]);
      expect(refused.details).toMatchObject({ outcome: 'failure', error: 'INVALID_CREDENTIALS' });

      id = rid('pw');
      await t.http
        .post('/api/auth/change-password')
        .set(auth)
        .set('X-Request-Id', id)
        .send({ current_password: STRONG_PASSWORD, new_password: OTHER_PASSWORD })
        .expect(204);
      const [changed] = await expectRows(id, [['PASSWORD_CHANGED', user.id]]);
      expect(changed.details?.outcome).toBeUndefined();

      const third = await login(t.http, user.email, OTHER_PASSWORD);
      id = rid('logout');
      await t.http.post('/api/auth/logout').set(auth).set('X-Request-Id', id).expect(204);
      await expectRows(id, [['USER_LOGOUT', user.id]]);
      id = rid('logoutall');
      await t.http
        .post('/api/auth/logout-all')
        .set(bearer(third.accessToken))
        .set('X-Request-Id', id)
        .expect(204);
      await expectRows(id, [['LOGOUT_ALL', user.id]]);
    });

    it('admin actions carry the admin in details.actor_id', async () => {
      const user = await createUser(t.http);
      const id = rid('role');
      await t.http
        .patch(`/api/users/${user.id}`)
        .set(bearer(admin.token))
        .set('X-Request-Id', id)
        .send({ role: 'moderator' })
        .expect(200);
      const [row] = await byRequest(t, id);
      expect(row).toMatchObject({ user_id: user.id, action: 'ROLE_CHANGED' });
      expect(row.details).toMatchObject({ actor_id: admin.id, request_id: id });
    });

    it('a detached write costs the request well under a millisecond', async () => {
      const audit = t.app.get(AuditService);
      const event = { userId: null, action: 'LOGIN_FAILED' as const, resource: 'auth' };
      audit.recordDetached(event);
      const started = performance.now();
      for (let i = 0; i < 20; i++) audit.recordDetached(event);
      expect((performance.now() - started) / 20).toBeLessThan(1);
      await eventually(
        () => auditRows(t, `action = 'LOGIN_FAILED' AND details->>'request_id' IS NULL`),
        (r) => r.length >= 21,
      );
    });
  });

  describe('GET /api/audit-logs', () => {
    let subject: RegisteredUser;

    beforeAll(async () => {
      subject = await createUser(t.http);
      for (let i = 0; i < 3; i++) {
        await t.http
          .post('/api/auth/login')
          .send({ email: subject.email, password: STRONG_PASSWORD })
          .expect(200);
      }
    });

    it('is for admins only', async () => {
      const res = await t.http.get('/api/audit-logs').set(bearer(subject.accessToken)).expect(403);
      expectErrorEnvelope(res.body, 'FORBIDDEN');
      await t.http.get('/api/audit-logs').expect(401);
      await t.http.get('/api/audit-logs/verify').set(bearer(subject.accessToken)).expect(403);
    });

    it('filters by user and action, newest first, in the contract shape', async () => {
      const res = await t.http
        .get('/api/audit-logs')
        .query({ user_id: subject.id })
        .set(bearer(admin.token))
        .expect(200);
      expect(res.body).toMatchObject({ page: 1, limit: 20, total: 4 });
      expect(res.body.data.map((r: Row) => r.action)).toEqual([
        'USER_LOGIN',
        'USER_LOGIN',
        'USER_LOGIN',
        'USER_REGISTERED',
      ]);
      for (const row of res.body.data) {
        expect(Object.keys(row).sort()).toEqual(
          [
            'action',
            'created_at',
            'details',
            'id',
            'ip_address',
            'resource',
            'user_agent',
            'user_id',
          ].sort(),
        );
        expect(row.user_id).toBe(subject.id);
        expect(new Date(row.created_at).toISOString()).toBe(row.created_at);
      }
      const times = res.body.data.map((r: { created_at: string }) => r.created_at);
      expect([...times].sort().reverse()).toEqual(times);

      const logins = await t.http
        .get('/api/audit-logs')
        .query({ user_id: subject.id, action: 'USER_LOGIN' })
        .set(bearer(admin.token))
        .expect(200);
      expect(logins.body.total).toBe(3);
    });

    it('paginates without overlap and filters by time', async () => {
      const page = (n: number) =>
        t.http
          .get('/api/audit-logs')
          .query({ user_id: subject.id, limit: 3, page: n })
          .set(bearer(admin.token))
          .expect(200);
      const [first, second] = [await page(1), await page(2)];
      expect(first.body.data).toHaveLength(3);
      expect(second.body.data).toHaveLength(1);
      expect(second.body).toMatchObject({ page: 2, limit: 3, total: 4 });
      expect(second.body.data[0].action).toBe('USER_REGISTERED');

      const all = first.body.data.concat(second.body.data) as Array<{ created_at: string }>;
      const from = all[2].created_at;
      const windowed = await t.http
        .get('/api/audit-logs')
        .query({ user_id: subject.id, from, to: all[0].created_at })
        .set(bearer(admin.token))
        .expect(200);
      // `to` is exclusive: the newest row is outside.
      expect(windowed.body.data.map((r: { id: string }) => r.id)).toEqual(
        (all.slice(1, 3) as Array<{ id?: string }>).map((r) => r.id),
      );
      const future = await t.http
        .get('/api/audit-logs')
        .query({ from: new Date(Date.now() + 3_600_000).toISOString() })
        .set(bearer(admin.token))
        .expect(200);
      expect(future.body).toMatchObject({ data: [], total: 0 });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['page=0', 'page'],
      ['user_id=not-a-uuid', 'user_id'],
      ['action=NOPE', 'action'],
      ['from=yesterday', 'from'],
      ['to=2024-13-45T00:00:00Z', 'to'],
      ['from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z', 'to'],
      ['sort=asc', 'sort'],
    ])('%s → 400 VALIDATION_ERROR naming %s', async (query, field) => {
      const res = await t.http.get(`/api/audit-logs?${query}`).set(bearer(admin.token)).expect(400);
      expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    });
  });

  describe('tamper evidence', () => {
    const verify = async () =>
      (await t.http.get('/api/audit-logs/verify').set(bearer(admin.token)).expect(200)).body as {
        valid: boolean;
        checked: number;
        first_bad_id: string | null;
        reason: string | null;
      };

    it('concurrent writers keep one unbroken chain', async () => {
      const user = await createUser(t.http);
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          t.http
            .post('/api/auth/login')
            .send({ email: user.email, password: i % 3 === 0 ? WRONG_PASSWORD : STRONG_PASSWORD }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const rows = await auditRows(t);
      rows.forEach((row, i) => expect(Number(row.seq)).toBe(i + 1));
      const result = await verify();
      expect(result).toMatchObject({ valid: true, first_bad_id: null });
      expect(result.checked).toBe(rows.length);
    });

    it('an edited row fails verification at exactly that row; restoring it heals the chain', async () => {
      const rows = await auditRows(t);
      const target = rows[Math.floor(rows.length / 2)];
      await dbOf(t).query(
        `UPDATE audit_logs SET details = details || '{"reason":"forged"}'::jsonb WHERE id = $1`,
        [target.id],
      );
      expect(await verify()).toMatchObject({
        valid: false,
        first_bad_id: target.id,
        reason: 'hash_mismatch',
      });

      await dbOf(t).query(`UPDATE audit_logs SET details = $2::jsonb WHERE id = $1`, [
        target.id,
        JSON.stringify(target.details),
      ]);
      await dbOf(t).query(`UPDATE audit_logs SET ip_address = '10.9.8.7' WHERE id = $1`, [
        target.id,
      ]);
      expect((await verify()).first_bad_id).toBe(target.id);
      await dbOf(t).query(`UPDATE audit_logs SET ip_address = $2 WHERE id = $1`, [
        target.id,
        target.ip_address,
      ]);
      expect((await verify()).valid).toBe(true);
    });

    it('a deleted row is reported at its successor; a row inserted out of order at itself', async () => {
      const rows = await auditRows(t);
      const [victim, successor] = [rows[3], rows[4]];
      await dbOf(t).query(`DELETE FROM audit_logs WHERE id = $1`, [victim.id]);
      expect(await verify()).toMatchObject({
        valid: false,
        first_bad_id: successor.id,
        reason: 'sequence_gap',
      });
      await dbOf(t).query(
        `INSERT INTO audit_logs (id, seq, user_id, action, resource, details, ip_address,
                                 user_agent, created_at, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11)`,
        [
          victim.id,
          victim.seq,
          victim.user_id,
          victim.action,
          victim.resource,
          JSON.stringify(victim.details),
          victim.ip_address,
          victim.user_agent,
          victim.created_at,
          victim.prev_hash,
          victim.hash,
        ],
      );
      expect((await verify()).valid).toBe(true);

      // A forged row appended at the end without the chain: its link is wrong.
      const last = rows[rows.length - 1];
      const forgedId = randomUUID();
      await dbOf(t).query(
        `INSERT INTO audit_logs (id, seq, action, created_at, prev_hash, hash)
         VALUES ($1, $2, 'USER_LOGIN', now(), $3, $3)`,
        [forgedId, Number((await auditRows(t)).at(-1)!.seq) + 1, last.prev_hash],
      );
      expect(await verify()).toMatchObject({ valid: false, first_bad_id: forgedId });
      await dbOf(t).query(`DELETE FROM audit_logs WHERE id = $1`, [forgedId]);
      expect((await verify()).valid).toBe(true);
    });

    it('no audit row written by this suite holds a password, a bcrypt hash or a JWT', async () => {
      await expectNoSecrets(t);
    });

    it('without AUDIT_RETENTION_DAYS nothing is ever pruned', async () => {
      const before = (await auditRows(t)).length;
      await expect(
        t.app.get(AuditRetentionService).pruneExpired(new Date(Date.now() + 10 * 365 * 86_400_000)),
      ).resolves.toBe(0);
      expect(await auditRows(t)).toHaveLength(before);
    });
  });
});

describe('audit retention and the audit:verify command', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ AUDIT_RETENTION_DAYS: '30' });
  });
  afterAll(() => t?.close());

  it('prunes only an old prefix of the chain, behind a checkpoint verification starts from', async () => {
    await createUser(t.http);
    await createUser(t.http);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cutoff = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const recent = await createUser(t.http);
    const before = await auditRows(t);
    const old = before.filter((r) => r.created_at < cutoff);
    expect(old).toHaveLength(2);

    await expect(pruneChain(dbOf(t), cutoff)).resolves.toBe(2);
    const after = await auditRows(t);
    expect(after.map((r) => r.id)).toEqual(before.slice(2).map((r) => r.id));
    const [checkpoint] = await dbOf(t).query<
      Array<{
        seq: string;
        hash: string;
        rows_pruned: number;
      }>
    >(`SELECT * FROM audit_checkpoints`);
    expect(checkpoint).toMatchObject({ seq: old[1].seq, hash: old[1].hash, rows_pruned: 2 });
    await expect(verifyChain(dbOf(t))).resolves.toMatchObject({
      valid: true,
      checked: after.length,
      from_seq: 2,
    });
    expect(after[0].user_id).toBe(recent.id);
  });

  it('AUDIT_RETENTION_DAYS prunes everything older; new rows chain on from the checkpoint', async () => {
    const inThirtyOneDays = new Date(Date.now() + 31 * 86_400_000);
    const remaining = (await auditRows(t)).length;
    await expect(t.app.get(AuditRetentionService).pruneExpired(inThirtyOneDays)).resolves.toBe(
      remaining,
    );
    expect(await auditRows(t)).toHaveLength(0);
    await expect(verifyChain(dbOf(t))).resolves.toMatchObject({ valid: true, checked: 0 });

    await createUser(t.http);
    const [row] = await auditRows(t);
    const [checkpoint] = await dbOf(t).query<Array<{ seq: string; hash: string }>>(
      `SELECT seq, hash FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`,
    );
    expect(Number(row.seq)).toBe(Number(checkpoint.seq) + 1);
    expect(row.prev_hash).toBe(checkpoint.hash);
    await expect(verifyChain(dbOf(t))).resolves.toMatchObject({ valid: true, checked: 1 });
  });

  it('a row left below the checkpoint is reported', async () => {
    const [row] = await auditRows(t);
    const [checkpoint] = await dbOf(t).query<Array<{ seq: string }>>(
      `SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`,
    );
    await dbOf(t).query(`UPDATE audit_logs SET seq = $2 WHERE id = $1`, [row.id, checkpoint.seq]);
    await expect(verifyChain(dbOf(t))).resolves.toMatchObject({
      valid: false,
      first_bad_id: row.id,
      reason: 'before_checkpoint',
    });
    await dbOf(t).query(`UPDATE audit_logs SET seq = $2 WHERE id = $1`, [row.id, row.seq]);
    await expectNoSecrets(t);
  });

  it('audit:verify reads the service configuration, exits 0 when intact, else 1 with the bad id', async () => {
    await createUser(t.http);
    const rows = await auditRows(t);
    // The embedded database belongs to one process at a time: stop the service first.
    await t.app.close();
    const env: NodeJS.ProcessEnv = { ...process.env, ...t.storage.env };
    if (!t.storage.env.DATABASE_URL) delete env.DATABASE_URL;
    const run = async () => {
      let out = '';
      const stdout = new Writable({
        write: (chunk: Buffer, _enc, done) => {
          out += chunk.toString();
          done();
        },
      });
      const stderr = new Writable({ write: (_chunk, _enc, done) => done() });
      return { code: await runAuditVerify(env, { stdout, stderr }), out: out.trim() };
    };
    await expect(run()).resolves.toMatchObject({ code: 0 });

    const db = new DataSource({
      ...dataSourceOptions({ ...loadConfig(env), migrationsRun: false }),
    });
    await db.initialize();
    await db.query(`UPDATE audit_logs SET user_agent = 'forged' WHERE id = $1`, [rows[1].id]);
    await db.destroy();
    await expect(run()).resolves.toEqual({ code: 1, out: rows[1].id });
    await t.storage.cleanup();
    t = undefined as unknown as TestApp;
  });
});
