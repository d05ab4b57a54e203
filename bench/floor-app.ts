import Fastify from 'fastify';
import Redis from 'ioredis';
import { Pool } from 'pg';

/**
 * Baseline `floor`: the raw I/O behind `GET /api/users/me` (one Redis GET, one
 * `SELECT ... WHERE id = $1` through plain `pg`, same pool size as the service) on bare
 * Fastify: the practical limit for an authenticated read on this machine.
 */
async function main() {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const redis = new Redis(process.env.REDIS_URL ?? '', {
    keyPrefix: process.env.REDIS_KEY_PREFIX,
  });
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM users LIMIT 5000');
  const ids = rows.map((r) => r.id);
  let next = 0;

  const app = Fastify({ logger: false, bodyLimit: 102400, maxParamLength: 200 });
  app.get('/floor', async () => {
    const id = ids[next++ % ids.length];
    const revoked = await redis.get(`revoked:sid:${id}`);
    const result = await pool.query(
      `SELECT id, email, first_name, last_name, phone_number, role, email_verified,
                phone_verified, two_factor_enabled, preferences, is_active, login_count,
                last_login, created_at, updated_at
         FROM users WHERE id = $1`,
      [id],
    );
    if (revoked) throw new Error('unexpected revocation');
    return result.rows[0] as Record<string, unknown>;
  });
  const close = () => {
    void app
      .close()
      .then(() => Promise.all([pool.end(), redis.quit()]))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
