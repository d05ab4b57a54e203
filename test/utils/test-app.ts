import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createTestStorage, TestStorage } from './test-env';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  http: ReturnType<typeof request>;
  storage: TestStorage;
  /** Closes the app (and, unless told to keep it, drops its database and Redis keys). */
  close(options?: { keepStorage?: boolean }): Promise<void>;
}

export const FAST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  BCRYPT_ROUNDS: '4',
  JWT_SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
  RATE_LIMIT_REGISTER: '10000/3600',
  RATE_LIMIT_LOGIN: '10000/3600',
  RATE_LIMIT_REFRESH: '10000/3600',
  RATE_LIMIT_EMAIL: '10000/3600',
  SECRETS_ENCRYPTION_KEY: 'dGVzdC1vbmx5LXNlY3JldHMta2V5LTMyLWJ5dGVzISE=',
  // Suites that reuse a rotated token expect a reuse at once; the grace window has its own suite.
  REFRESH_REUSE_GRACE_SECONDS: '0',
  RATE_LIMIT_MFA: '10000/3600',
};

/**
 * Builds the real application from AppModule (same factory as production) on a fresh
 * database and Redis prefix. `env` overrides the defaults; `storage` reuses another app's.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  storage?: TestStorage,
): Promise<TestApp> {
  const store = storage ?? (await createTestStorage());
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.REDIS_URL;
  const config = loadConfig({ ...base, ...FAST_ENV, ...store.env, ...env });
  const app = await createApp(config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    config,
    storage: store,
    http: request(app.getHttpServer()),
    close: async (options) => {
      await app.close();
      if (!options?.keepStorage) await store.cleanup();
    },
  };
}
