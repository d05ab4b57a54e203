import { Injectable } from '@nestjs/common';
import { CLOCK_LEEWAY_SECONDS } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { KvStore } from '../store/kv-store';

/**
 * Shared revocation list of sessions, so that every replica rejects a revoked session's
 * access tokens at once. The database row (`is_active = false`) is the durable record;
 * entries here live as long as an access token can.
 */
@Injectable()
export class RevocationService {
  constructor(
    private readonly store: KvStore,
    private readonly config: AppConfig,
  ) {}

  async revokeSessions(sessionIds: string[]) {
    const ttl = this.config.jwt.accessTtlSeconds + CLOCK_LEEWAY_SECONDS;
    await Promise.all(sessionIds.map((id) => this.store.set(key(id), '1', ttl)));
  }

  isRevoked(sessionId: string) {
    return this.store.exists(key(sessionId));
  }
}

const key = (sessionId: string) => `revoked:sid:${sessionId}`;
