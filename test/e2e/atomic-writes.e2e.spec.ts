import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../utils/test-app';
import { createUser, expectErrorEnvelope } from '../utils/factories';

/**
 * A failure half-way through a multi-row write leaves nothing half-written. The failure is
 * real: a constraint added for the test makes the last statement of the transaction fail.
 */
describe('atomic writes', () => {
  let t: TestApp;
  let ds: DataSource;
  beforeAll(async () => {
    t = await createTestApp();
    ds = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const failAuditFor = (action: string) =>
    ds.query(
      `ALTER TABLE audit_logs ADD CONSTRAINT test_fail_${action.toLowerCase()} CHECK (action <> '${action}') NOT VALID`,
    );
  const restoreAudit = (action: string) =>
    ds.query(`ALTER TABLE audit_logs DROP CONSTRAINT test_fail_${action.toLowerCase()}`);

  it('refresh rotation: a failure after the rotation keeps the old token valid, no reuse', async () => {
    const user = await createUser(t.http);
    const [before] = await ds.query(
      `SELECT jti, refresh_token_hash, last_used FROM user_sessions WHERE user_id = $1`,
      [user.id],
    );
    await failAuditFor('TOKEN_REFRESHED');
    try {
      const res = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: user.refreshToken })
        .expect(500);
      expectErrorEnvelope(res.body, 'INTERNAL_ERROR');
      expect(JSON.stringify(res.body)).not.toMatch(/audit_logs|constraint|SQL/i);
    } finally {
      await restoreAudit('TOKEN_REFRESHED');
    }
    const [after] = await ds.query(
      `SELECT jti, refresh_token_hash, last_used FROM user_sessions WHERE user_id = $1`,
      [user.id],
    );
    expect(after).toEqual(before);
    // The rotation was rolled back: the same token still refreshes (no TOKEN_REUSED).
    await t.http.post('/api/auth/refresh').send({ refresh_token: user.refreshToken }).expect(200);
  });

  it('register: a failure after the user row leaves no user and no session', async () => {
    await failAuditFor('USER_REGISTERED');
    const email = `atomic-${Date.now()}@example.com`;
    try {
      await t.http.post('/api/auth/register').send({ email, password: 'Xk9#mP2$vL7q' }).expect(500);
    } finally {
      await restoreAudit('USER_REGISTERED');
    }
    const [row] = await ds.query(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [email]);
    expect(row.n).toBe(0);
    await t.http.post('/api/auth/register').send({ email, password: 'Xk9#mP2$vL7q' }).expect(201);
  });

  it('change-password: a failure leaves the old password and the other sessions', async () => {
    const user = await createUser(t.http);
    const other = await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    await failAuditFor('PASSWORD_CHANGED');
    try {
      await t.http
        .post('/api/auth/change-password')
        .set('Authorization', `Bearer ${user.accessToken}`)
        .send({ current_password: user.password, new_password: 'N3w#Passphrase!' })
        .expect(500);
    } finally {
      await restoreAudit('PASSWORD_CHANGED');
    }
    await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    await t.http
      .get('/api/users/me')
      .set('Authorization', `Bearer ${other.body.tokens.access_token}`)
      .expect(200);
  });
});
