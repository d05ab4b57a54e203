import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { KvStore } from './kv-store';

const RESERVE_ATTEMPT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`;

/** KvStore on Redis; key prefixing is done by the ioredis client (`keyPrefix`). */
@Injectable()
export class RedisKvStore extends KvStore {
  constructor(private readonly redis: Redis) {
    super();
  }

  async set(key: string, value: string, ttlSeconds: number) {
    await this.redis.set(key, value, 'EX', ttlSeconds);
  }

  async del(...keys: string[]) {
    if (keys.length > 0) await this.redis.del(...keys);
  }

  async exists(key: string) {
    return (await this.redis.exists(key)) > 0;
  }

  async reserveAttempt(counterKey: string, lockKey: string, ttlSeconds: number) {
    const result = await this.redis.eval(RESERVE_ATTEMPT, 2, counterKey, lockKey, ttlSeconds);
    return Number(result);
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number) {
    return (await this.redis.set(key, value, 'EX', ttlSeconds, 'NX')) === 'OK';
  }
}
