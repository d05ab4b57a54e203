import { DataSource } from 'typeorm';
import { SessionsCleanupService } from '../../src/sessions/sessions-cleanup.service';
import { SessionsRepository } from '../../src/sessions/sessions.repository';
import { bearer, createUser, expectErrorEnvelope, login, RegisteredUser } from '../utils/factories';
import { createTestApp, TestApp } from '../utils/test-app';

const SESSION_KEYS = [
  'created_at',
  'current',
  'expires_at',
  'id',
  'ip_address',
  'last_used',
  'user_agent',
];

/** The session id (`sid` claim) inside a token. */
function sidOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sid as string;
}

describe('sessions', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const listSessions = (token: string) => t.http.get('/api/sessions').set(bearer(token));

  async function loginAs(user: RegisteredUser, userAgent: string) {
    const res = await t.http
      .post('/api/auth/login')
      .set('User-Agent', userAgent)
      .send({ email: user.email, password: user.password })
      .expect(200);
    return {
      accessToken: res.body.tokens.access_token as string,
      refreshToken: res.body.tokens.refresh_token as string,
    };
  }

  describe('GET /api/sessions', () => {
    it('lists my active sessions with the contract’s fields and marks the current one', async () => {
      const user = await createUser(t.http);
      const phone = await loginAs(user, 'PhoneApp/1.0');
      const other = await createUser(t.http);

      const res = await listSessions(phone.accessToken).expect(200);
      expect(Object.keys(res.body)).toEqual(['data']);
      expect(res.body.data).toHaveLength(2);
      for (const session of res.body.data) {
        expect(Object.keys(session).sort()).toEqual(SESSION_KEYS);
        for (const key of ['created_at', 'last_used', 'expires_at']) {
          expect(new Date(session[key]).toISOString()).toBe(session[key]);
        }
        expect(new Date(session.expires_at).getTime()).toBeGreaterThan(Date.now());
      }
      const ids = res.body.data.map((s: { id: string }) => s.id).sort();
      expect(ids).toEqual([sidOf(user.accessToken), sidOf(phone.accessToken)].sort());
      expect(ids).not.toContain(sidOf(other.accessToken));

      const current = res.body.data.filter((s: { current: boolean }) => s.current);
      expect(current).toHaveLength(1);
      expect(current[0].id).toBe(sidOf(phone.accessToken));
      expect(current[0].user_agent).toBe('PhoneApp/1.0');
      expect(current[0].ip_address).toMatch(/127\.0\.0\.1|::1/);
    });

    it('last_used moves when the session refreshes; the id stays', async () => {
      const user = await createUser(t.http);
      const before = (await listSessions(user.accessToken).expect(200)).body.data[0];
      await new Promise((resolve) => setTimeout(resolve, 50));

      const refreshed = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: user.refreshToken })
        .expect(200);
      const after = (await listSessions(refreshed.body.tokens.access_token).expect(200)).body.data;
      expect(after).toHaveLength(1);
      expect(after[0].id).toBe(before.id);
      expect(new Date(after[0].last_used).getTime()).toBeGreaterThan(
        new Date(before.last_used).getTime(),
      );
      expect(after[0].created_at).toBe(before.created_at);
    });

    it('does not list revoked or expired sessions', async () => {
      const user = await createUser(t.http);
      const second = await login(t.http, user.email, user.password);
      const third = await login(t.http, user.email, user.password);
      await t.http.post('/api/auth/logout').set(bearer(second.accessToken)).expect(204);
      await db.query(
        `UPDATE user_sessions SET expires_at = now() - interval '1 minute' WHERE id = $1`,
        [sidOf(third.accessToken)],
      );

      const res = await listSessions(user.accessToken).expect(200);
      expect(res.body.data.map((s: { id: string }) => s.id)).toEqual([sidOf(user.accessToken)]);
    });

    it('401 UNAUTHORIZED without a valid access token', async () => {
      const res = await t.http.get('/api/sessions').expect(401);
      expectErrorEnvelope(res.body, 'UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      const bad = await listSessions('not-a-jwt').expect(401);
      expectErrorEnvelope(bad.body, 'UNAUTHORIZED');
    });
  });

  describe('DELETE /api/sessions/:id', () => {
    it('revokes another of my sessions at once: its refresh and access tokens die, mine live', async () => {
      const user = await createUser(t.http);
      const laptop = await login(t.http, user.email, user.password);
      const laptopSid = sidOf(laptop.accessToken);

      await t.http.delete(`/api/sessions/${laptopSid}`).set(bearer(user.accessToken)).expect(204);

      const access = await t.http.get('/api/users/me').set(bearer(laptop.accessToken)).expect(401);
      expectErrorEnvelope(access.body, 'UNAUTHORIZED');
      const refresh = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: laptop.refreshToken })
        .expect(401);
      expectErrorEnvelope(refresh.body, 'INVALID_TOKEN');

      await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
      const list = await listSessions(user.accessToken).expect(200);
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([sidOf(user.accessToken)]);

      const audit: Array<{ user_id: string; details: Record<string, unknown> }> = await db.query(
        `SELECT user_id, details FROM audit_logs WHERE action = 'SESSION_REVOKED' AND user_id = $1`,
        [user.id],
      );
      expect(audit).toHaveLength(1);
      expect(audit[0].details.session_id).toBe(laptopSid);
    });

    it('deleting the current session is a logout', async () => {
      const user = await createUser(t.http);
      await t.http
        .delete(`/api/sessions/${sidOf(user.accessToken)}`)
        .set(bearer(user.accessToken))
        .expect(204);
      await t.http.get('/api/sessions').set(bearer(user.accessToken)).expect(401);
      const refresh = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: user.refreshToken })
        .expect(401);
      expectErrorEnvelope(refresh.body, 'INVALID_TOKEN');
    });

    it('another user’s session → 404 NOT_FOUND, and that session keeps working', async () => {
      const me = await createUser(t.http);
      const victim = await createUser(t.http);
      const res = await t.http
        .delete(`/api/sessions/${sidOf(victim.accessToken)}`)
        .set(bearer(me.accessToken))
        .expect(404);
      expectErrorEnvelope(res.body, 'NOT_FOUND');
      await t.http.get('/api/users/me').set(bearer(victim.accessToken)).expect(200);
      await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: victim.refreshToken })
        .expect(200);
    });

    it('unknown or already revoked id → 404 NOT_FOUND', async () => {
      const user = await createUser(t.http);
      const other = await login(t.http, user.email, user.password);
      const unknown = await t.http
        .delete('/api/sessions/00000000-0000-4000-8000-000000000000')
        .set(bearer(user.accessToken))
        .expect(404);
      expectErrorEnvelope(unknown.body, 'NOT_FOUND');
      const sid = sidOf(other.accessToken);
      await t.http.delete(`/api/sessions/${sid}`).set(bearer(user.accessToken)).expect(204);
      const again = await t.http
        .delete(`/api/sessions/${sid}`)
        .set(bearer(user.accessToken))
        .expect(404);
      expectErrorEnvelope(again.body, 'NOT_FOUND');
    });

    it.each(['not-a-uuid', '123', "1' OR '1'='1"])(
      'malformed id %p → 400 VALIDATION_ERROR',
      async (id) => {
        const user = await createUser(t.http);
        const res = await t.http
          .delete(`/api/sessions/${encodeURIComponent(id)}`)
          .set(bearer(user.accessToken))
          .expect(400);
        expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
        expect(res.body.error.details).toEqual([{ field: 'id', message: expect.any(String) }]);
      },
    );

    it('401 UNAUTHORIZED without an access token', async () => {
      const user = await createUser(t.http);
      const res = await t.http.delete(`/api/sessions/${sidOf(user.accessToken)}`).expect(401);
      expectErrorEnvelope(res.body, 'UNAUTHORIZED');
      await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
    });
  });

  describe('cleanup of ended sessions', () => {
    /** Four sessions of a fresh user: expired long ago, revoked long ago, revoked now, active. */
    async function seedEndedSessions() {
      const user = await createUser(t.http);
      const [expiredOld, revokedOld, revokedNow] = await Promise.all([
        login(t.http, user.email, user.password),
        login(t.http, user.email, user.password),
        login(t.http, user.email, user.password),
      ]);
      await db.query(
        `UPDATE user_sessions SET expires_at = now() - interval '2 days' WHERE id = $1`,
        [sidOf(expiredOld.accessToken)],
      );
      await db.query(
        `UPDATE user_sessions SET is_active = false, revoked_at = now() - interval '2 days'
         WHERE id = $1`,
        [sidOf(revokedOld.accessToken)],
      );
      await t.http.post('/api/auth/logout').set(bearer(revokedNow.accessToken)).expect(204);
      return {
        user,
        ended: [sidOf(expiredOld.accessToken), sidOf(revokedOld.accessToken)],
        kept: [sidOf(revokedNow.accessToken), sidOf(user.accessToken)],
      };
    }

    const remaining = async (userId: string) =>
      (
        await db.query<Array<{ id: string }>>(`SELECT id FROM user_sessions WHERE user_id = $1`, [
          userId,
        ])
      )
        .map((r) => r.id)
        .sort();

    it('purgeEnded deletes sessions ended before the grace period, at most `limit` per call', async () => {
      await db.query(`DELETE FROM user_sessions`);
      const { user, kept } = await seedEndedSessions();
      const repo = t.app.get(SessionsRepository);

      await expect(repo.purgeEnded(24 * 3600, 1)).resolves.toBe(1);
      expect(await remaining(user.id)).toHaveLength(3);
      await expect(repo.purgeEnded(24 * 3600, 100)).resolves.toBe(1);
      expect(await remaining(user.id)).toEqual([...kept].sort());
      await expect(repo.purgeEnded(24 * 3600, 100)).resolves.toBe(0);
      await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
    });

    it('the scheduled job’s run stops after maxBatches × batchSize rows', async () => {
      await db.query(`DELETE FROM user_sessions`);
      const { user, kept } = await seedEndedSessions();
      const job = t.app.get(SessionsCleanupService);

      await expect(
        job.runOnce({ graceSeconds: 24 * 3600, batchSize: 1, maxBatches: 1 }),
      ).resolves.toBe(1);
      await expect(
        job.runOnce({ graceSeconds: 24 * 3600, batchSize: 1, maxBatches: 5 }),
      ).resolves.toBe(1);
      expect(await remaining(user.id)).toEqual([...kept].sort());
    });
  });
});
