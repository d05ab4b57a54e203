import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { KvStore } from '../store/kv-store';

export type AttemptVerdict = { allowed: true; attempt: number } | { allowed: false };

/**
 * Failed-login lockout per email (known or not), shared through the KvStore. An attempt is
 * reserved before the password is verified, so a parallel burst can never verify more than
 * `maxAttempts` passwords.
 */
@Injectable()
export class LockoutService {
  constructor(
    private readonly store: KvStore,
    private readonly config: AppConfig,
  ) {}

  async reserveAttempt(email: string): Promise<AttemptVerdict> {
    const { counter, lock } = keys(email);
    const attempt = await this.store.reserveAttempt(
      counter,
      lock,
      this.config.lockout.durationSeconds,
    );
    if (attempt < 0 || attempt > this.config.lockout.maxAttempts) return { allowed: false };
    return { allowed: true, attempt };
  }

  /** Returns true when this failure locked the email. */
  async recordFailure(email: string, attempt: number): Promise<boolean> {
    if (attempt < this.config.lockout.maxAttempts) return false;
    const { lock } = keys(email);
    return this.store.setIfAbsent(
      lock,
      new Date().toISOString(),
      this.config.lockout.durationSeconds,
    );
  }

  async clear(email: string) {
    const { counter, lock } = keys(email);
    await this.store.del(counter, lock);
  }
}

function keys(email: string) {
  const id = createHash('sha256').update(email).digest('hex').slice(0, 32);
  return { counter: `lockout:attempts:${id}`, lock: `lockout:locked:${id}` };
}
