import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { KvStore } from './kv-store';

interface Entry {
  value: string;
  expiresAt: number;
}

const SWEEP_INTERVAL_MS = 60_000;

/** In-process KvStore for the embedded default. Atomic because JS runs one callback at a time. */
@Injectable()
export class MemoryKvStore extends KvStore implements OnModuleDestroy {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();

  onModuleDestroy() {
    clearInterval(this.sweeper);
  }

  set(key: string, value: string, ttlSeconds: number) {
    this.write(key, value, ttlSeconds);
    return Promise.resolve();
  }

  del(...keys: string[]) {
    keys.forEach((key) => this.entries.delete(key));
    return Promise.resolve();
  }

  exists(key: string) {
    return Promise.resolve(this.read(key) !== null);
  }

  reserveAttempt(counterKey: string, lockKey: string, ttlSeconds: number) {
    if (this.read(lockKey) !== null) return Promise.resolve(-1);
    const current = this.entries.get(counterKey);
    if (current && current.expiresAt > Date.now()) {
      current.value = String(Number(current.value) + 1);
      return Promise.resolve(Number(current.value));
    }
    this.write(counterKey, '1', ttlSeconds);
    return Promise.resolve(1);
  }

  setIfAbsent(key: string, value: string, ttlSeconds: number) {
    if (this.read(key) !== null) return Promise.resolve(false);
    this.write(key, value, ttlSeconds);
    return Promise.resolve(true);
  }

  private read(key: string): string | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return null;
    }
    return entry.value;
  }

  private write(key: string, value: string, ttlSeconds: number) {
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
  }

  private sweep() {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
