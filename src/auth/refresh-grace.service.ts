import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { KvStore } from '../store/kv-store';
import { hashToken, IssuedTokens } from './token.service';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = 'perfect21/refresh-grace';

/**
 * Keeps, for REFRESH_REUSE_GRACE_SECONDS, the successor pair a refresh token was rotated
 * into, so that tabs or retries racing on one token all get that same pair (on any replica).
 * The entry is keyed by the rotated token's hash and sealed (AES-256-GCM) under a key
 * derived from the rotated token itself: reading Redis (or the database, which holds the
 * same hash) gives neither the tokens nor the key; only a holder of the rotated token can
 * open it.
 */
@Injectable()
export class RefreshGraceService {
  constructor(
    private readonly store: KvStore,
    private readonly config: AppConfig,
  ) {}

  get windowSeconds(): number {
    return this.config.sessions.reuseGraceSeconds;
  }

  get enabled(): boolean {
    return this.windowSeconds > 0;
  }

  /** Keeps `successor` as the answer to `rotated` for the grace window. */
  async keep(rotated: string, successor: IssuedTokens): Promise<void> {
    const id = hashToken(rotated);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', keyOf(rotated), iv).setAAD(Buffer.from(id));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(successor)), cipher.final()]);
    const value = `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
    await this.store.set(storeKey(id), value, this.windowSeconds);
  }

  /** The pair `rotated` was rotated into, while the window lasts; null otherwise. */
  async find(rotated: string): Promise<IssuedTokens | null> {
    const id = hashToken(rotated);
    const value = await this.store.get(storeKey(id));
    if (!value?.startsWith(`${VERSION}.`)) return null;
    const raw = Buffer.from(value.slice(VERSION.length + 1), 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyOf(rotated), raw.subarray(0, IV_BYTES))
        .setAAD(Buffer.from(id))
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

const storeKey = (tokenHash: string) => `refresh:grace:${tokenHash}`;

/** HKDF over the whole token (its signature included): the stored hash does not reveal it. */
const keyOf = (token: string) =>
  Buffer.from(hkdfSync('sha256', token, HKDF_SALT, 'successor-pair', 32));
