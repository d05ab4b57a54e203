import { ExecutionContext, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type Redis from 'ioredis';
import { AuditModule } from '../audit/audit.module';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../store/store.module';
import { RATE_LIMIT, RateLimitName } from './rate-limit.decorator';
import { RateLimitGuard } from './rate-limit.guard';

/** Counters live in Redis when configured (shared by every replica), in memory otherwise. */
@Module({
  imports: [
    AuditModule,
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: Redis | null) => {
        const policy = (context: ExecutionContext) => {
          const name = Reflect.getMetadata(RATE_LIMIT, context.getHandler()) as RateLimitName;
          return config.rateLimits[name];
        };
        return {
          throttlers: [
            {
              name: 'default',
              limit: (context) => policy(context).limit,
              ttl: (context) => policy(context).windowSeconds * 1000,
            },
          ],
          storage: redis ? new ThrottlerStorageRedisService(redis) : undefined,
        };
      },
    }),
  ],
  providers: [RateLimitGuard],
  exports: [RateLimitGuard],
})
export class RateLimitModule {}
