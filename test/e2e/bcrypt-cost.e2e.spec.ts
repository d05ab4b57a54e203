import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../utils/test-app';
import { createUser, uniqueEmail } from '../utils/factories';

/** The real cost (default 12) and the timing equaliser for unknown emails. */
describe('bcrypt cost', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ BCRYPT_ROUNDS: '' });
  });
  afterAll(() => t.close());

  it('hashes at cost 12 by default', async () => {
    expect(t.config.bcryptRounds).toBe(12);
    const user = await createUser(t.http);
    const [row] = await t.app
      .get(DataSource)
      .query(`SELECT password_hash FROM users WHERE id = $1`, [user.id]);
    expect(row.password_hash).toMatch(/^\$2b\$12\$/);
  });

  it('spends a bcrypt comparison on an unknown email too', async () => {
    const user = await createUser(t.http);
    const time = async (email: string) => {
      const start = performance.now();
      await t.http.post('/api/auth/login').send({ email, password: 'Wrong#Pass123' }).expect(401);
      return performance.now() - start;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await time(user.email));
      unknown.push(await time(uniqueEmail('ghost')));
    }
    // A cost-12 comparison is ~190 ms here; skipping it would answer in a few ms.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.6);
  });
});
