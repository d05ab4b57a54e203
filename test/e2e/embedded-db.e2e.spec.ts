import { DataSource } from 'typeorm';
import { UserEntity } from '../../src/users/user.entity';
import { createTestApp, TestApp } from '../utils/test-app';

/**
 * PGlite has one session: two interleaved transactions on it lose data (STACK-NOTES). The
 * driver must hand the session to one query runner at a time. Runs in both storage modes.
 */
describe('concurrent transactions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('a rolled-back transaction never takes a concurrent one’s committed row with it', async () => {
    const ds = t.app.get(DataSource);
    let releaseFailing!: () => void;
    const failingMayFinish = new Promise<void>((resolve) => (releaseFailing = resolve));

    const failing = ds.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO users (email, password_hash) VALUES ('rolled-back@x.io', 'h')`,
      );
      await failingMayFinish;
      throw new Error('roll me back');
    });
    const committing = ds.transaction(async (manager) => {
      await manager.query(`INSERT INTO users (email, password_hash) VALUES ('kept@x.io', 'h')`);
    });
    setTimeout(releaseFailing, 50);

    await expect(failing).rejects.toThrow('roll me back');
    await committing;
    const rows: Array<{ email: string }> = await ds.query(
      `SELECT email FROM users WHERE email IN ('rolled-back@x.io', 'kept@x.io')`,
    );
    expect(rows.map((r) => r.email)).toEqual(['kept@x.io']);
  });

  it('UPDATE reports affected rows (rotation relies on it)', async () => {
    const ds = t.app.get(DataSource);
    await ds.query(`INSERT INTO users (email, password_hash) VALUES ('count@x.io', 'h')`);
    const result = await ds
      .createQueryBuilder()
      .update(UserEntity)
      .set({ loginCount: 5 })
      .where(`email = 'count@x.io'`)
      .execute();
    expect(result.affected).toBe(1);
  });
});
