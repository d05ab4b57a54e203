import { createHash, createSecretKey, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import { AppError } from '../common/app-error';
import { Clock, CLOCK_LEEWAY_SECONDS } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { claimsHold, decodeJws, JwsKey, signatureHolds, signJws } from './jws';
import { SigningKeysService } from '../signing-keys/signing-keys.service';
import type { Role } from '../common/roles';

/** Our tokens are ~500 characters; anything far larger is refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;

/** RFC 8176 authentication method references this service issues. */
export type AuthMethod = 'pwd' | 'otp';
export type AssuranceLevel = 'aal1' | 'aal2';

/** NIST SP 800-63B: a password alone is AAL1; with a second factor (TOTP), AAL2. */
export const aalOf = (amr: readonly AuthMethod[]): AssuranceLevel =>
  amr.includes('otp') ? 'aal2' : 'aal1';

/** The session row stores `amr` space-separated (`"pwd otp"`). */
export const amrToColumn = (amr: readonly AuthMethod[]) => amr.join(' ');
export const amrFromColumn = (value: string | null | undefined): AuthMethod[] =>
  (value || 'pwd').split(' ').filter((m): m is AuthMethod => m === 'pwd' || m === 'otp');

export interface AccessClaims {
  sub: string;
  role: Role;
  type: 'access';
  /** Absent in tokens issued before two-factor authentication existed (a password alone). */
  amr?: AuthMethod[];
  aal?: AssuranceLevel;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string | string[];
}

export interface RefreshClaims {
  sub: string;
  type: 'refresh';
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface RefreshToken {
  token: string;
  refreshJti: string;
  refreshTokenHash: string;
  refreshExpiresAt: Date;
}

export interface TokenPair {
  tokens: IssuedTokens;
  refreshJti: string;
  refreshTokenHash: string;
  refreshExpiresAt: Date;
}

const nowSeconds = (clock: Clock) => Math.floor(clock.now().getTime() / 1000);

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (v: unknown) => typeof v === 'string' && UUID.test(v);

/** Claims every token must carry beyond the registered ones the JWT library checks. */
export function hasSessionClaims(payload: unknown, type: 'access' | 'refresh'): boolean {
  const p = payload as Record<string, unknown> | null;
  return (
    !!p &&
    typeof p === 'object' &&
    p.type === type &&
    isUuid(p.sub) &&
    isUuid(p.sid) &&
    isString(p.jti) &&
    isNumber(p.exp) &&
    isNumber(p.iat)
  );
}

/** Verified access tokens kept (claims only) so that a token's next uses skip the signature. */
const VERIFIED_CACHE_SIZE = 10_000;

interface Signer {
  key: JwsKey;
  header: { alg: string; typ: 'JWT'; kid?: string };
}

interface Verified<T> {
  claims: T;
  kid?: string;
}

/**
 * Signs and verifies tokens (jws.ts): HS* with the secret; RS256/ES256/EdDSA with the active
 * managed key (SigningKeysService), whose kid goes in the header. Verification pins the one
 * configured algorithm and, for managed keys, needs a published kid whose signing window
 * holds the token's `iat`; key headers such as `jwk`, `jku`, `x5u` are never consulted.
 */
@Injectable()
export class TokenService {
  private readonly hmac?: JwsKey;
  private readonly verifiedAccess = new Map<string, Verified<AccessClaims>>();

  constructor(
    private readonly config: AppConfig,
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
  ) {
    const { algorithm, secret } = config.jwt;
    if (!config.jwt.asymmetric) {
      this.hmac = { key: createSecretKey(Buffer.from(secret, 'utf8')), alg: algorithm };
    }
  }

  /**
   * Signs an access + refresh pair for a session; the refresh token's hash is what gets stored.
   * Neither token outlives `notAfter` (the session's absolute end).
   */
  async issue(
    userId: string,
    role: Role,
    sessionId: string,
    amr: AuthMethod[],
    notAfter?: Date,
  ): Promise<TokenPair> {
    const signer = await this.signer();
    const refresh = await this.issueRefresh(userId, sessionId, notAfter, signer);
    return {
      ...refresh,
      tokens: await this.withAccess(
        refresh.token,
        userId,
        role,
        sessionId,
        amr,
        refresh.refreshExpiresAt,
        signer,
      ),
    };
  }

  /** A session's next refresh token, expiring at `notAfter` at the latest; only its hash is stored. */
  private async issueRefresh(
    userId: string,
    sessionId: string,
    notAfter: Date | undefined,
    signer: Signer,
  ): Promise<RefreshToken> {
    const exp = this.expiry(this.config.jwt.refreshTtlSeconds, notAfter);
    const refreshJti = randomUUID();
    const token = await this.sign(
      { sub: userId, type: 'refresh', sid: sessionId, jti: refreshJti },
      exp,
      signer,
    );
    return {
      token,
      refreshJti,
      refreshTokenHash: hashToken(token),
      refreshExpiresAt: new Date(exp * 1000),
    };
  }

  /** The token response: a fresh access token (expiring at `notAfter` at the latest) next to `refreshToken`. */
  private async withAccess(
    refreshToken: string,
    userId: string,
    role: Role,
    sessionId: string,
    amr: AuthMethod[],
    notAfter?: Date,
    signer?: Signer,
  ): Promise<IssuedTokens> {
    const exp = this.expiry(this.config.jwt.accessTtlSeconds, notAfter);
    const access = await this.sign(
      {
        sub: userId,
        role,
        type: 'access',
        sid: sessionId,
        jti: randomUUID(),
        amr,
        aal: aalOf(amr),
      },
      exp,
      signer,
    );
    return {
      access_token: access,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: Math.max(0, exp - nowSeconds(this.clock)),
    };
  }

  /** Verifies a refresh token's signature, algorithm, key, issuer, audience, expiry and type. */
  async verifyRefresh(token: string): Promise<Verified<RefreshClaims>> {
    const verified = await this.verify(token, 'refresh');
    if (!verified) throw AppError.invalidToken();
    return verified as Verified<RefreshClaims>;
  }

  /**
   * An access token's claims if its signature and claims hold, else null. Session, user and
   * key revocation are the caller's to check (AccessTokenVerifier), on every use.
   */
  async verifyAccess(token: string): Promise<Verified<AccessClaims> | null> {
    const cached = this.verifiedAccess.get(token);
    if (cached) {
      const now = this.clock.now().getTime() / 1000;
      const usable =
        cached.claims.exp + CLOCK_LEEWAY_SECONDS > now &&
        (!cached.kid || this.keys.accepts(cached.kid, cached.claims.iat));
      if (usable) return cached;
      this.verifiedAccess.delete(token);
      return null;
    }
    const verified = (await this.verify(token, 'access')) as Verified<AccessClaims> | null;
    if (verified) {
      if (this.verifiedAccess.size >= VERIFIED_CACHE_SIZE) {
        this.verifiedAccess.delete(this.verifiedAccess.keys().next().value!);
      }
      this.verifiedAccess.set(token, verified);
    }
    return verified;
  }

  private async verify(
    token: string,
    type: 'access' | 'refresh',
  ): Promise<Verified<unknown> | null> {
    if (token.length > MAX_TOKEN_LENGTH) return null;
    const jws = decodeJws(token);
    if (!jws) return null;
    const key = this.hmac ?? (await this.verificationKey(jws.header));
    const { issuer, audience } = this.config.jwt;
    const checks = {
      issuer,
      audience,
      tolerance: CLOCK_LEEWAY_SECONDS,
      now: nowSeconds(this.clock),
    };
    if (!key || !signatureHolds(jws, key) || !claimsHold(jws.payload, checks)) return null;
    const { payload, header } = jws;
    if (!hasSessionClaims(payload, type)) return null;
    const kid = this.hmac ? undefined : header.kid;
    if (kid !== undefined && !this.keys.accepts(kid, payload.iat!)) return null;
    return { claims: payload, kid };
  }

  /** The published key named by the token's kid. */
  private async verificationKey(header: JWTHeaderParameters): Promise<JwsKey | undefined> {
    const kid = header.kid;
    if (typeof kid !== 'string' || kid.length > 64) return undefined;
    const key = await this.keys.verificationKey(kid);
    return key && { key, alg: this.config.jwt.algorithm };
  }

  private async signer(): Promise<Signer> {
    const { algorithm } = this.config.jwt;
    if (this.hmac) return { key: this.hmac, header: { alg: algorithm, typ: 'JWT' } };
    const { kid, key } = await this.keys.signingKey();
    return { key: { key, alg: algorithm }, header: { alg: algorithm, typ: 'JWT', kid } };
  }

  /** `exp` (seconds since the epoch): `ttlSeconds` from now, but never after `notAfter`. */
  private expiry(ttlSeconds: number, notAfter?: Date): number {
    const exp = nowSeconds(this.clock) + ttlSeconds;
    return notAfter ? Math.min(exp, Math.floor(notAfter.getTime() / 1000)) : exp;
  }

  private async sign(claims: JWTPayload, exp: number, signer?: Signer): Promise<string> {
    const { key, header } = signer ?? (await this.signer());
    const { issuer: iss, audience: aud } = this.config.jwt;
    return signJws(key, header, { ...claims, iat: nowSeconds(this.clock), exp, iss, aud });
  }
}
