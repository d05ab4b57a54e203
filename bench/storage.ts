import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { TokenService } from '../src/auth/token.service';
import { Clock } from '../src/common/clock';
import { loadEncryptionKeys } from '../src/crypto/encryption-keys';
import { SecretBox } from '../src/crypto/secret-box';
import type { AppConfig } from '../src/config/app-config';
import { importPrivateKey } from '../src/signing-keys/key-material';
import {
  sealContext,
  type SigningKey,
  type SigningKeysService,
} from '../src/signing-keys/signing-keys.service';

export interface BenchStorage {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  drop(): Promise<void>;
}

export interface SeededUser {
  id: string;
  email: string;
}

export interface SeededSession {
  userId: string;
  accessToken: string;
  refreshToken: string;
}

const withDatabaseName = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** A fresh PostgreSQL database and a private Redis key prefix, both removed by `drop()`. */
export async function createBenchStorage(
  baseDbUrl: string,
  redisUrl: string,
): Promise<BenchStorage> {
  const suffix = `${Date.now()}_${process.pid}`;
  const dbName = `bench_${suffix}`;
  const admin = new Client({ connectionString: baseDbUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${dbName}"`);
  } finally {
    await admin.end();
  }
  const redisPrefix = `bench:${suffix}:`;
  return {
    databaseUrl: withDatabaseName(baseDbUrl, dbName),
    redisUrl,
    redisPrefix,
    drop: async () => {
      const client = new Client({ connectionString: baseDbUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
      const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

/**
 * The key the running service signs with (RS256/ES256/EdDSA): it created the key at start-up;
 * the seeder opens it with the same SECRETS_ENCRYPTION_KEY.
 */
async function activeSigningKey(db: Client, config: AppConfig): Promise<SigningKey> {
  const alg = config.jwt.asymmetric!;
  const { rows } = await db.query<{ kid: string; private_key_sealed: string }>(
    `SELECT kid, private_key_sealed FROM signing_keys
     WHERE alg = $1 AND revoked_at IS NULL AND activates_at <= now()
     ORDER BY activates_at DESC LIMIT 1`,
    [alg],
  );
  const [row] = rows;
  const { current, previous } = loadEncryptionKeys(config);
  const pem = new SecretBox(current, previous)
    .open(row.private_key_sealed, sealContext(row.kid))
    .toString('utf8');
  return { kid: row.kid, alg, key: importPrivateKey(alg, pem) };
}

/**
 * Users straight into the table, all with one precomputed hash (hashing thousands of
 * passwords at cost 12 through /register would take minutes), and sessions whose tokens
 * are signed by the service's own TokenService with the service's configuration (and, with
 * an asymmetric algorithm, the service's active key).
 */
export class Seeder {
  private tokens?: TokenService;

  constructor(
    private readonly db: Client,
    private readonly config: AppConfig,
  ) {}

  private async tokenService(): Promise<TokenService> {
    if (!this.tokens) {
      const key = this.config.jwt.asymmetric
        ? await activeSigningKey(this.db, this.config)
        : undefined;
      const keys = { signingKey: () => Promise.resolve(key) } as unknown as SigningKeysService;
      this.tokens = new TokenService(this.config, keys, new Clock());
    }
    return this.tokens;
  }

  async users(count: number, passwordHash: string, tag: string): Promise<SeededUser[]> {
    const emails = Array.from({ length: count }, (_, i) => `bench-${tag}-${i}@bench.test`);
    const { rows } = await this.db.query<SeededUser>(
      `INSERT INTO users (email, password_hash, first_name)
       SELECT e, $2, 'Bench' FROM unnest($1::text[]) AS e
       RETURNING id, email`,
      [emails, passwordHash],
    );
    return rows;
  }

  async sessions(users: SeededUser[], perUser = 1): Promise<SeededSession[]> {
    const rows: { id: string; userId: string; jti: string; hash: string; expires: Date }[] = [];
    const sessions: SeededSession[] = [];
    const tokens = await this.tokenService();
    for (const user of users) {
      for (let i = 0; i < perUser; i++) {
        const id = randomUUID();
        const pair = await tokens.issue(user.id, 'user', id, ['pwd']);
        rows.push({
          id,
          userId: user.id,
          jti: pair.refreshJti,
          hash: pair.refreshTokenHash,
          expires: pair.refreshExpiresAt,
        });
        sessions.push({
          userId: user.id,
          accessToken: pair.tokens.access_token,
          refreshToken: pair.tokens.refresh_token,
        });
      }
    }
    await this.db.query(
      `INSERT INTO user_sessions (id, user_id, jti, token_type, refresh_token_hash, expires_at, user_agent)
       SELECT id, user_id, jti, 'refresh', hash, expires, 'bench'
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
         AS t(id, user_id, jti, hash, expires)`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.userId),
        rows.map((r) => r.jti),
        rows.map((r) => r.hash),
        rows.map((r) => r.expires.toISOString()),
      ],
    );
    return sessions;
  }
}
