import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { preparedName } from '../../src/common/pool-query';
import { ACTIVE_BY_SESSION } from '../../src/users/users.repository';
import { createTestApp, TestApp } from '../utils/test-app';
import { usingPostgres } from '../utils/test-env';
import { bearer, createUser, RegisteredUser } from '../utils/factories';

// Prepared statements are PostgreSQL's (PGlite runs the same statements through TypeORM).
const describeOnPostgres = usingPostgres ? describe : describe.skip;

describeOnPostgres('prepared statements on the per-request paths', () => {
  let t: TestApp;
  let user: RegisteredUser;
  let pool: Pool;

  /** The parameter types of every statement prepared on the pool's connections. */
  const parameterTypes = new Map<string, string[]>();

  /** Every statement prepared on any of the pool's connections, by name. */
  async function preparedOnPool(): Promise<Map<string, string>> {
    const clients: PoolClient[] = [];
    try {
      while (clients.length < pool.totalCount) clients.push(await pool.connect());
      const prepared = new Map<string, string>();
      for (const client of clients) {
        const { rows } = await client.query<{ name: string; statement: string; types: string[] }>(
          'SELECT name, statement, parameter_types::text[] AS types FROM pg_prepared_statements',
        );
        for (const row of rows) {
          prepared.set(row.name, row.statement);
          parameterTypes.set(row.statement, row.types);
        }
      }
      return prepared;
    } finally {
      clients.forEach((client) => client.release());
    }
  }

  beforeAll(async () => {
    t = await createTestApp();
    pool = (t.app.get(DataSource).driver as unknown as { master: Pool }).master;
    user = await createUser(t.http);
  });
  afterAll(() => t.close());

  /** One `me` and one refresh, so that the pool has prepared both statements. */
  async function readAndRefresh() {
    await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
    const refreshed = await t.http
      .post('/api/auth/refresh')
      .send({ refresh_token: user.refreshToken })
      .expect(200);
    user.accessToken = refreshed.body.tokens.access_token;
    user.refreshToken = refreshed.body.tokens.refresh_token;
  }

  it('runs the user lookup and the refresh as named statements, prepared once per connection', async () => {
    await readAndRefresh();

    const prepared = await preparedOnPool();
    expect(prepared.get(preparedName(ACTIVE_BY_SESSION))).toBe(ACTIVE_BY_SESSION);
    const rotation = [...prepared.values()].find((sql) => sql.includes('WITH rotated AS'));
    expect(rotation).toBeDefined();
    expect(prepared.get(preparedName(rotation!))).toBe(rotation);
  });

  /**
   * The indexes a prepared statement's generic plan (the one a connection keeps after five
   * runs) reads, taken from `EXPLAIN` of the statement as the service prepared it.
   */
  async function genericPlanScans(statement: string): Promise<string[]> {
    const types = parameterTypes.get(statement)!;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE plan_probe (${types.join(', ')}) AS ${statement}`);
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN EXECUTE plan_probe (${types.map(() => 'NULL').join(', ')})`,
      );
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      return [...plan.matchAll(/(Seq Scan on \w+|Bitmap Heap Scan on \w+|using \w+ on \w+)/g)]
        .map((match) => match[1])
        .sort();
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.query('DEALLOCATE plan_probe').catch(() => undefined);
      client.release();
    }
  }

  it('plans the user lookup and the refresh on primary keys, with no table statistics', async () => {
    // The test database is fresh and never analysed (as a new deployment, or a server with
    // autovacuum off): the refresh's generic plan once read the user through idx_users_role,
    // every user with that role (~1 ms of PostgreSQL CPU per refresh with 3,000 users).
    await readAndRefresh();
    const rotation = [...(await preparedOnPool()).values()].find((sql) =>
      sql.includes('WITH rotated AS'),
    );
    expect(parameterTypes.get(ACTIVE_BY_SESSION)).toEqual(['uuid', 'uuid']);

    expect(await genericPlanScans(ACTIVE_BY_SESSION)).toEqual([
      'using user_sessions_pkey on user_sessions',
      'using users_pkey on users',
    ]);
    const rotationScans = await genericPlanScans(rotation!);
    expect(rotationScans).toContain('using user_sessions_pkey on user_sessions');
    expect(rotationScans).toContain('using users_pkey on users');
    expect(rotationScans.filter((scan) => !scan.includes('_pkey on'))).toEqual([]);
  });

  it('keeps serving when a migration adds columns under the running service (rolling deploy)', async () => {
    await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
    await t.app
      .get(DataSource)
      .query(
        'ALTER TABLE users ADD COLUMN nickname text; ALTER TABLE user_sessions ADD COLUMN note text',
      );
    try {
      // Sequential requests reuse the connections that already prepared the statements.
      for (let i = 0; i < 5; i++) {
        const me = await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
        expect(me.body).not.toHaveProperty('nickname');
        expect(me.body).not.toHaveProperty('password_hash');
      }
      const refreshed = await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: user.refreshToken })
        .expect(200);
      await t.http.get('/api/users/me').set(bearer(refreshed.body.tokens.access_token)).expect(200);
    } finally {
      await t.app
        .get(DataSource)
        .query(
          'ALTER TABLE users DROP COLUMN nickname; ALTER TABLE user_sessions DROP COLUMN note',
        );
    }
  });
});
