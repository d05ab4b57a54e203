import { randomBytes } from 'node:crypto';
import type { BenchStorage } from './storage';

export const BCRYPT_ROUNDS = 12;

/** Keep in step with docker/Dockerfile and package.json's start:prod. */
const PRODUCTION_NODE_OPTIONS = '--max-semi-space-size=16 --max-old-space-size=256';

/**
 * The service as production runs it (NODE_ENV=production, LOG_LEVEL=warn, cost-12 bcrypt,
 * the production heap flags) on the bench's storage, with rate limits and lockout raised
 * out of the way. Fresh secrets per run; each service creates its own signing keys.
 */
export function serviceEnv(storage: BenchStorage): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: storage.databaseUrl,
    REDIS_URL: storage.redisUrl,
    REDIS_KEY_PREFIX: storage.redisPrefix,
    JWT_SECRET_KEY: randomBytes(48).toString('base64url'),
    JWT_ALGORITHM: 'HS256',
    SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    BCRYPT_ROUNDS: String(BCRYPT_ROUNDS),
    RATE_LIMIT_REGISTER: '1000000/3600',
    RATE_LIMIT_LOGIN: '1000000/3600',
    RATE_LIMIT_REFRESH: '1000000/3600',
    LOCKOUT_MAX_ATTEMPTS: '1000',
    MIGRATIONS_RUN: 'true',
    ADMIN_EMAIL: '',
    ADMIN_PASSWORD: '',
    // The heap sizing production runs with; override to compare.
    NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS ?? PRODUCTION_NODE_OPTIONS,
  };
}
