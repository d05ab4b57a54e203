import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AppConfig } from '../config/app-config';
import { DeviceAttempt, DeviceTokensRepository } from './device-tokens.repository';

export type { DeviceAttempt } from './device-tokens.repository';

/** 256 random bits, URL-safe: 43 characters. */
const TOKEN_BYTES = 32;
/** Anything longer cannot be one of ours and is not worth hashing. */
export const MAX_DEVICE_TOKEN_LENGTH = 128;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Device tokens (OWASP "device cookies"). A login that carries a live device token of the
 * user it names is judged by that device's own failure count instead of the email's lockout,
 * so an attacker who only knows the email cannot lock the owner's known devices out.
 */
@Injectable()
export class DeviceTokensService {
  constructor(
    private readonly tokens: DeviceTokensRepository,
    private readonly config: AppConfig,
  ) {}

  /**
   * Issues a new device token for `userId` (the only time it exists in plain text) and
   * revokes `replacesId`, the token this login came with, if any.
   */
  @Transactional()
  async issue(userId: string, replacesId?: string): Promise<{ id: string; token: string }> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.sessions.deviceTokenTtlSeconds * 1000);
    if (replacesId) await this.tokens.revoke({ id: replacesId });
    const id = await this.tokens.insert({ userId, tokenHash: hashOf(token), expiresAt });
    return { id, token };
  }

  /**
   * Counts a login attempt on `token` when it is a live device token of the user with
   * `email`. Null (absent, unknown, expired, revoked, used up, or another user's) means the
   * login is treated as one without a device token.
   */
  async reserveAttempt(token: string | undefined, email: string): Promise<DeviceAttempt | null> {
    if (!token || token.length > MAX_DEVICE_TOKEN_LENGTH) return null;
    return this.tokens.reserveAttempt(
      { tokenHash: hashOf(token), email },
      this.config.lockout.maxAttempts,
    );
  }

  /**
   * Counts the second-factor attempt of a login whose password step came with device token
   * `id`; null when that token is no longer live (the email's lockout judges instead).
   */
  reserveAttemptById(id: string, userId: string): Promise<DeviceAttempt | null> {
    return this.tokens.reserveAttempt({ id, userId }, this.config.lockout.maxAttempts);
  }

  /** After a wrong password or code: returns true when this failure used the token up (it is revoked). */
  async recordFailure(attempt: DeviceAttempt): Promise<boolean> {
    if (attempt.attempt < this.config.lockout.maxAttempts) return false;
    return (await this.tokens.revoke({ id: attempt.id })) > 0;
  }

  /**
   * Revokes every device token of the user (logout-all, password change, password reset);
   * joins the caller's transaction, so it commits with the change that caused it.
   */
  revokeAllForUser(userId: string): Promise<number> {
    return this.tokens.revoke({ userId });
  }
}
