import { createHmac, KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import type { JWTHeaderParameters, JWTPayload } from 'jose';

/**
 * Compact JWS tokens (our JWTs) signed and verified with node:crypto on the event loop. jose
 * does the same through WebCrypto, whose every call is a job on libuv's thread pool: the four
 * threads bcrypt hashes on, so during a login flood each token check waited behind the
 * hashes (~1.4 s, README "Benchmarks"). The one exception is an RS256 signature (~0.3 ms of
 * CPU), which still goes to the pool rather than hold the event loop.
 * Verification gives jose's verdict for `jwtVerify` with the options the service uses (a unit
 * test holds the two to the same answers, for every algorithm).
 */
export type JwsAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'ES256' | 'EdDSA';

/** The secret (HS*), or the private key to sign with, or the public key to verify with. */
export interface JwsKey {
  alg: JwsAlgorithm;
  key: KeyObject;
}

export interface ClaimChecks {
  issuer: string;
  audience: string;
  /** Seconds of clock skew allowed on `exp` and `nbf`. */
  tolerance: number;
  /** Seconds since the epoch. */
  now: number;
}

export interface DecodedJws {
  header: JWTHeaderParameters;
  payload: JWTPayload;
  signingInput: string;
  signature: string;
}

const DIGEST = {
  HS256: 'sha256',
  HS384: 'sha384',
  HS512: 'sha512',
  RS256: 'sha256',
  ES256: 'sha256',
  EdDSA: null,
} as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const isHmac = (alg: JwsAlgorithm): alg is 'HS256' | 'HS384' | 'HS512' => alg.startsWith('HS');
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const hmac = ({ alg, key }: JwsKey, input: string) =>
  createHmac(DIGEST[alg] as string, key)
    .update(input)
    .digest('base64url');
/** JWS carries ECDSA signatures as r ‖ s (RFC 7518 §3.4), not DER. */
const keyInput = ({ alg, key }: JwsKey) =>
  alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;

export async function signJws(
  key: JwsKey,
  header: JWTHeaderParameters,
  payload: JWTPayload,
): Promise<string> {
  const input = `${base64url(header)}.${base64url(payload)}`;
  if (isHmac(key.alg)) return `${input}.${hmac(key, input)}`;
  const data = Buffer.from(input);
  const signature =
    key.alg === 'RS256'
      ? await new Promise<Buffer>((resolve, reject) =>
          sign(DIGEST.RS256, data, key.key, (err, sig) => (err ? reject(err) : resolve(sig))),
        )
      : sign(DIGEST[key.alg], data, keyInput(key));
  return `${input}.${signature.toString('base64url')}`;
}

/** Three base64url segments, a JSON object header without `crit` and a JSON object payload. */
export function decodeJws(token: string): DecodedJws | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return null;
  const [encodedHeader, encodedPayload, signature] = parts;
  const header = decodeObject(encodedHeader) as JWTHeaderParameters | null;
  // No JWS extension is implemented, so none can be understood (RFC 7515 §4.1.11).
  if (!header || header.crit !== undefined) return null;
  const payload: JWTPayload | null = decodeObject(encodedPayload);
  if (!payload) return null;
  return { header, payload, signingInput: `${encodedHeader}.${encodedPayload}`, signature };
}

/** Whether the token names `key`'s algorithm and carries its signature, canonically encoded. */
export function signatureHolds(jws: DecodedJws, key: JwsKey): boolean {
  if (jws.header.alg !== key.alg) return false;
  if (isHmac(key.alg)) {
    // Compared as text, in constant time: only the canonical encoding is accepted.
    const expected = Buffer.from(hmac(key, jws.signingInput));
    const given = Buffer.from(jws.signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  const signature = Buffer.from(jws.signature, 'base64url');
  if (signature.toString('base64url') !== jws.signature) return false;
  try {
    return verify(DIGEST[key.alg], Buffer.from(jws.signingInput), keyInput(key), signature);
  } catch {
    return false; // a key of another type than the algorithm's
  }
}

/** Issuer, audience (string or array), numeric `iat` and `exp`, and `nbf` when present. */
export function claimsHold(
  payload: JWTPayload,
  { issuer, audience, tolerance, now }: ClaimChecks,
): boolean {
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
