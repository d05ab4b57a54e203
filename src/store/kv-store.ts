/**
 * The small set of atomic operations the service needs from Redis. Backed by Redis when
 * REDIS_URL is set, by process memory otherwise (single instance only).
 */
export abstract class KvStore {
  abstract set(key: string, value: string, ttlSeconds: number): Promise<void>;
  abstract del(...keys: string[]): Promise<void>;
  abstract exists(key: string): Promise<boolean>;
  /**
   * Lockout bookkeeping in one atomic step: when `lockKey` exists, returns -1 without
   * counting; otherwise increments `counterKey` (expiring `ttlSeconds` after the first
   * increment) and returns the new count.
   */
  abstract reserveAttempt(counterKey: string, lockKey: string, ttlSeconds: number): Promise<number>;
  /** Sets the key only if absent (the lock's first writer wins; later writes never extend it). */
  abstract setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
}
