import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { hashToken, IssuedTokens } from './token.service';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = 'perfect21/refresh-grace';

/**
 * Seals the successor pair a refresh token is rotated into, so that tabs or retries presenting
 * that token again within REFRESH_REUSE_GRACE_SECONDS all get that same pair (on any replica).
 * The rotation stores the sealed pair in the session row in the statement that rotates, so it
 * exists exactly when the rotation committed. AES-256-GCM under a key derived from the rotated
 * token itself, with its hash as associated data: reading the database (which holds only
 * hashes) gives neither the tokens nor the key; only a holder of the rotated token opens it.
 */
@Injectable()
export class RefreshGraceService {
  constructor(private readonly config: AppConfig) {}

  get windowSeconds(): number {
    return this.config.sessions.reuseGraceSeconds;
  }

  get enabled(): boolean {
    return this.windowSeconds > 0;
  }

  /** `successor`, sealed for the holder of `rotated`. */
  seal(rotated: string, successor: IssuedTokens): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', keyOf(rotated), iv).setAAD(
      Buffer.from(hashToken(rotated)),
    );
    const sealed = Buffer.concat([cipher.update(JSON.stringify(successor)), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
  }

  /** The pair `sealed` holds, when it was sealed for `rotated`; null otherwise. */
  open(rotated: string, sealed: string | null): IssuedTokens | null {
    if (!sealed?.startsWith(`${VERSION}.`)) return null;
    const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyOf(rotated), raw.subarray(0, IV_BYTES))
        .setAAD(Buffer.from(hashToken(rotated)))
        .setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]);
      return JSON.parse(plain.toString('utf8')) as IssuedTokens;
    } catch {
      return null;
    }
  }
}

/** HKDF over the whole token (its signature included): the stored hash does not reveal it. */
const keyOf = (token: string) =>
  Buffer.from(hkdfSync('sha256', token, HKDF_SALT, 'successor-pair', 32));
