import Fastify from 'fastify';
import { Pool } from 'pg';
import { preparedName } from '../src/common/pool-query';
import { poolOptions } from '../src/database/data-source-options';
import { createRedis } from '../src/store/store.module';
import type { UserEntity } from '../src/users/user.entity';
import { ACTIVE_BY_SESSION } from '../src/users/users.repository';
import { toPublicUser } from '../src/users/user.serializer';

/**
 * Baseline `floor`: bare Fastify doing exactly the I/O `GET /api/users/me` must do for its
 * guarantees, driven by the same requests (the same access tokens):
 * - one Redis round trip asking whether the token's session (or its signing key, when the
 *   token names one) is on the shared revocation list (`EXISTS`, the service's keys);
 * - one PostgreSQL round trip for the user, only while the session is active and unexpired
 *   and the user active (the service's statement, prepared under the same name, through
 *   plain `pg`);
 * - both through the service's own clients and settings (createRedis, poolOptions): the
 *   timeouts on every command and statement are what lets the route fail closed in bounded
 *   time when Redis or PostgreSQL stops answering, so they are part of the I/O it must do;
 * - the same user object in the answer (the service's serializer).
 * What it leaves out is everything else `me` does: the signature check, claim checks, the
 * framework's pipeline and the response headers. Keep the keys in step with
 * src/sessions/revocation.service.ts.
 */
const STATEMENT = { name: preparedName(ACTIVE_BY_SESSION), text: ACTIVE_BY_SESSION };

interface Claims {
  sub: string;
  sid: string;
}

/** The token's header and claims, decoded without checking the signature (the route's CPU work). */
function decode(authorization: string | undefined): { claims: Claims; kid?: string } | null {
  const token = /^bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const [header, payload] = token?.split('.') ?? [];
  if (!header || !payload) return null;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as {
    kid?: string;
  };
  return { claims, kid };
}

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

async function main() {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, ...poolOptions({}, 'app') });
  const redis = createRedis(process.env.REDIS_URL ?? '', process.env.REDIS_KEY_PREFIX ?? '');
  const properties = new Map<string, string>();
  const toEntity = (row: Record<string, unknown>) => {
    const user: Record<string, unknown> = {};
    for (const column in row) {
      let property = properties.get(column);
      if (property === undefined) properties.set(column, (property = camel(column)));
      user[property] = row[column];
    }
    return user as unknown as UserEntity;
  };

  const app = Fastify({ logger: false, bodyLimit: 102400, routerOptions: { maxParamLength: 200 } });
  app.get('/api/users/me', async (request, reply) => {
    const decoded = decode(request.headers.authorization);
    if (!decoded) return reply.code(401).send({ error: 'unauthorized' });
    const { claims, kid } = decoded;
    const keys = kid
      ? [`revoked:sid:${claims.sid}`, `revoked:kid:${kid}`]
      : [`revoked:sid:${claims.sid}`];
    if ((await redis.exists(...keys)) > 0) return reply.code(401).send({ error: 'revoked' });
    const { rows } = await pool.query<Record<string, unknown>>({
      ...STATEMENT,
      values: [claims.sub, claims.sid],
    });
    if (!rows[0]) return reply.code(401).send({ error: 'inactive' });
    return toPublicUser(toEntity(rows[0]));
  });
  app.get('/ready', () => ({ status: 'ok' }));
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
