import { DataSource } from 'typeorm';
import { createTestStorage, TestStorage } from '../utils/test-env';
import { createTestApp } from '../utils/test-app';
import { bearer, createUser, login } from '../utils/factories';

describe('restarts', () => {
  let storage: TestStorage;

  beforeEach(async () => {
    storage = await createTestStorage();
  });
  afterEach(() => storage.cleanup());

  it('keeps users, sessions and revocations across a restart', async () => {
    const first = await createTestApp({}, storage);
    const user = await createUser(first.http);
    const kept = await login(first.http, user.email, user.password);
    await first.http.post('/api/auth/logout').set(bearer(user.accessToken)).expect(204);
    await first.close({ keepStorage: true });

    const second = await createTestApp({}, storage);
    try {
      await second.http.get('/api/users/me').set(bearer(user.accessToken)).expect(401);
      await second.http
        .post('/api/auth/refresh')
        .send({ refresh_token: user.refreshToken })
        .expect(401);
      await second.http.get('/api/users/me').set(bearer(kept.accessToken)).expect(200);
      await login(second.http, user.email, user.password);
    } finally {
      await second.close({ keepStorage: true });
    }
  });

  it('upgrades a hash at the next successful login when BCRYPT_ROUNDS is raised', async () => {
    const before = await createTestApp({ BCRYPT_ROUNDS: '4' }, storage);
    const user = await createUser(before.http);
    await before.close({ keepStorage: true });

    const after = await createTestApp({ BCRYPT_ROUNDS: '5' }, storage);
    try {
      const hashOf = async () =>
        (
          await after.app
            .get(DataSource)
            .query(`SELECT password_hash FROM users WHERE id = $1`, [user.id])
        )[0].password_hash as string;
      expect(await hashOf()).toMatch(/^\$2b\$04\$/);
      await after.http
        .post('/api/auth/login')
        .send({ email: user.email, password: 'Wrong#Pass123' })
        .expect(401);
      expect(await hashOf()).toMatch(/^\$2b\$04\$/);
      await login(after.http, user.email, user.password);
      expect(await hashOf()).toMatch(/^\$2b\$05\$/);
      await login(after.http, user.email, user.password);
    } finally {
      await after.close({ keepStorage: true });
    }
  });
});
