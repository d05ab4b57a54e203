import type { AsymmetricAlgorithm } from '../config/env.schema';
import type { PublicJwk } from './signing-key.entity';

/** What the schedule needs of a stored key; times in whole seconds. */
export interface RingKey {
  kid: string;
  alg: AsymmetricAlgorithm;
  publicJwk: PublicJwk;
  activatesAt: number;
  revokedAt: number | null;
}

export interface RotationPolicy {
  rotationSeconds: number;
  prepublishSeconds: number;
  /** The longest a token lives (the refresh TTL): how long a retired key stays valid. */
  maxTokenTtlSeconds: number;
}

/** Longest JWKS max-age, so a revoked key leaves gateways' caches within minutes. */
export const MAX_JWKS_CACHE_SECONDS = 600;

/**
 * The rotation schedule over the keys of one algorithm. A key signs from its `activatesAt`
 * until the next key's (its retirement); it verifies tokens issued in that window until
 * `maxTokenTtlSeconds` after retirement. A revoked key verifies nothing and is not published,
 * but keeps its place in the schedule (so the key before it stays retired); one revoked
 * before it ever activated is left out. Pure: every replica holding the same rows computes the
 * same answers.
 */
export class KeyRing {
  private readonly keys: RingKey[];
  private readonly byKid: Map<string, number>;

  constructor(
    keys: RingKey[],
    private readonly policy: RotationPolicy,
  ) {
    this.keys = keys
      .filter((key) => key.revokedAt === null || key.revokedAt >= key.activatesAt)
      .sort((a, b) => a.activatesAt - b.activatesAt || (a.kid < b.kid ? -1 : 1));
    this.byKid = new Map(this.keys.map((key, index) => [key.kid, index]));
  }

  get size() {
    return this.keys.length;
  }

  /** The key that signs at `now`: the latest activated one (revoked: a replacement is due). */
  active(now: number): RingKey | undefined {
    let found: RingKey | undefined;
    for (const key of this.keys) if (key.activatesAt <= now) found = key;
    return found;
  }

  /** The first key activating after `now`, if already created. */
  next(now: number): RingKey | undefined {
    return this.keys.find((key) => key.activatesAt > now && key.revokedAt === null);
  }

  retiresAt(kid: string): number | undefined {
    const index = this.byKid.get(kid);
    return index === undefined ? undefined : this.keys[index + 1]?.activatesAt;
  }

  /** Whether a token of `kid` issued at `iat` may be accepted at `now`. */
  accepts(kid: string, iat: number, now: number): boolean {
    const index = this.byKid.get(kid);
    if (index === undefined) return false;
    const key = this.keys[index];
    if (key.revokedAt !== null) return false;
    const retiresAt = this.keys[index + 1]?.activatesAt;
    if (iat < key.activatesAt) return false;
    if (retiresAt === undefined) return true;
    return iat < retiresAt && now < retiresAt + this.policy.maxTokenTtlSeconds;
  }

  /** Active, upcoming and still-valid retired keys: what the JWKS lists. */
  published(now: number): RingKey[] {
    return this.keys.filter((key, index) => {
      if (key.revokedAt !== null) return false;
      const retiresAt = this.keys[index + 1]?.activatesAt;
      return retiresAt === undefined || now < retiresAt + this.policy.maxTokenTtlSeconds;
    });
  }

  /**
   * When the next key must be created, and when it starts signing: published
   * `prepublishSeconds` before it signs, one rotation period after the active key.
   * Undefined while a next key already exists.
   */
  due(now: number): { createAt: number; activatesAt: number } | undefined {
    const active = this.active(now);
    if (!active || active.revokedAt !== null) return { createAt: now, activatesAt: now };
    if (this.next(now)) return undefined;
    const rotateAt = active.activatesAt + this.policy.rotationSeconds;
    return {
      createAt: rotateAt - this.policy.prepublishSeconds,
      activatesAt: Math.max(rotateAt, now + this.policy.prepublishSeconds),
    };
  }

  /**
   * JWKS max-age: never past the moment the next key starts signing (or could, when it is
   * not created yet), capped at MAX_JWKS_CACHE_SECONDS.
   */
  cacheSeconds(now: number): number {
    const active = this.active(now);
    const nextAt =
      this.next(now)?.activatesAt ??
      (active ? active.activatesAt + this.policy.rotationSeconds : now);
    return Math.max(0, Math.min(MAX_JWKS_CACHE_SECONDS, nextAt - now));
  }
}
