import { Global, Inject, Logger, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { KvStore } from './kv-store';
import { MemoryKvStore } from './memory-kv-store';
import { RedisKvStore } from './redis-kv-store';

export const REDIS = Symbol('REDIS');

/** ioredis tuned to fail fast: no offline queue, no retry storms, short timeouts. */
export function createRedis(url: string, keyPrefix: string): Redis {
  const client = new Redis(url, {
    keyPrefix,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
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

class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS) private readonly redis?: Redis) {}
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
