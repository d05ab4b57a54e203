import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { KvStore } from './kv-store';
import { MemoryKvStore } from './memory-kv-store';
import { RedisKvStore } from './redis-kv-store';

export const REDIS = Symbol('REDIS');

const CONNECT_TIMEOUT_MS = 1000;

/** ioredis tuned to fail fast: no offline queue, no retry storms, short timeouts. */
export function createRedis(url: string, keyPrefix: string): Redis {
  const client = new Redis(url, {
    keyPrefix,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 200, 1000),
  });
  const logger = new Logger('Redis');
  let reported = false;
  client.on('error', (err: Error) => {
    if (!reported) logger.warn(`Redis unavailable: ${err.message}`);
    reported = true;
  });
  client.on('ready', () => {
    if (reported) logger.log('Redis connection restored');
    reported = false;
  });
  return client;
}

class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS) private readonly redis?: Redis) {}

  /**
   * Waits for the first connection (at most its connect timeout) before the modules that use
   * Redis at start-up (signing keys) run: with no offline queue, a command sent while still
   * connecting fails at once. A Redis that is down does not hold the start (readiness says so).
   */
  async onModuleInit() {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        redis.off('error', done);
        resolve();
      };
      const timer = setTimeout(done, CONNECT_TIMEOUT_MS);
      redis.once('ready', done);
      redis.once('error', done);
    });
  }
  async onApplicationShutdown() {
    if (this.redis && this.redis.status !== 'end') await this.redis.quit().catch(() => undefined);
  }
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        config.redisUrl ? createRedis(config.redisUrl, config.redisKeyPrefix) : null,
    },
    {
      provide: KvStore,
      inject: [REDIS],
      useFactory: (redis: Redis | null) => (redis ? new RedisKvStore(redis) : new MemoryKvStore()),
    },
    RedisLifecycle,
  ],
  exports: [REDIS, KvStore],
})
export class StoreModule {}
