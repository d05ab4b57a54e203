import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { copyPgliteTemplate } from './pglite-template';

/**
 * Where a test run keeps its data. With DATABASE_URL set, a fresh PostgreSQL database is
 * created per suite and dropped afterwards; otherwise an embedded PGlite in a temp folder.
 * With REDIS_URL set, a private key prefix is used and cleaned up.
 */
export const usingPostgres = Boolean(process.env.DATABASE_URL);
export const usingRedis = Boolean(process.env.REDIS_URL);

export interface TestStorage {
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

function withDatabase(url: string, database: string) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function createTestStorage(): Promise<TestStorage> {
  const id = randomBytes(6).toString('hex');
  const env: Record<string, string> = {};
  const cleanups: Array<() => Promise<void>> = [];

  if (usingPostgres) {
    const database = `p21_test_${id}`;
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    env.DATABASE_URL = withDatabase(process.env.DATABASE_URL!, database);
    cleanups.push(async () => {
      const client = new Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.end();
    });
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'p21-test-'));
    copyPgliteTemplate(dir);
    env.DATA_DIR = dir;
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    });
  }

  if (usingRedis) {
    const prefix = `p21test:${id}:`;
    env.REDIS_URL = process.env.REDIS_URL!;
    env.REDIS_KEY_PREFIX = prefix;
    cleanups.push(async () => {
      const redis = new Redis(process.env.REDIS_URL!);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    });
  }

  return {
    env,
    cleanup: async () => {
      for (const fn of cleanups.reverse()) await fn();
    },
  };
}
