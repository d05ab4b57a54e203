import { createHmac, KeyObject, timingSafeEqual } from 'node:crypto';
import type { JWTHeaderParameters, JWTPayload } from 'jose';

/**
 * HS256/384/512 compact JWTs signed and verified in-line with node:crypto. jose does the same
 * through WebCrypto, whose every call is a job on the libuv pool and back: ~80 µs of CPU per
 * token here (`npm run bench:jwt`) against a few µs, and a refresh checks one token and signs
 * two. Verification gives jose's verdict for `jwtVerify` with the options below (a unit test
 * holds the two to the same answers); asymmetric tokens stay with jose.
 */
export interface HmacKey {
  secret: KeyObject;
  alg: 'HS256' | 'HS384' | 'HS512';
}

export interface HmacClaimChecks {
  issuer: string;
  audience: string;
  /** Seconds of clock skew allowed on `exp` and `nbf`. */
  tolerance: number;
  /** Seconds since the epoch. */
  now: number;
}

const HASH = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signHmacJws(key: HmacKey, header: JWTHeaderParameters, payload: JWTPayload) {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${createHmac(HASH[key.alg], key.secret).update(input).digest('base64url')}`;
}

/** The header and claims when signature, algorithm, issuer, audience, `exp`, `nbf` and `iat` hold. */
export function verifyHmacJws(
  token: string,
  key: HmacKey,
  checks: HmacClaimChecks,
): { header: JWTHeaderParameters; payload: JWTPayload } | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return null;
  const [encodedHeader, encodedPayload, signature] = parts;
  const header = decodeObject(encodedHeader) as JWTHeaderParameters | null;
  if (!header || header.alg !== key.alg || header.crit !== undefined) return null;
  // Compared as text: only the canonical encoding of the signature is accepted.
  const expected = Buffer.from(
    createHmac(HASH[key.alg], key.secret)
      .update(`${encodedHeader}.${encodedPayload}`)
      .digest('base64url'),
  );
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const payload: JWTPayload | null = decodeObject(encodedPayload);
  if (!payload || !claimsHold(payload, checks)) return null;
  return { header, payload };
}

function decodeObject(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(utf8.decode(Buffer.from(part, 'base64url')));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function claimsHold(payload: JWTPayload, { issuer, audience, tolerance, now }: HmacClaimChecks) {
  const { iss, aud, iat, exp, nbf } = payload;
  const audienceHolds = Array.isArray(aud) ? aud.includes(audience) : aud === audience;
  return (
    iss === issuer &&
    audienceHolds &&
    typeof iat === 'number' &&
    typeof exp === 'number' &&
    exp > now - tolerance &&
    (nbf === undefined || (typeof nbf === 'number' && nbf <= now + tolerance))
  );
}
