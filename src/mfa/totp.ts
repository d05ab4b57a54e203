import { HOTP, Secret, TOTP } from 'otpauth';

/** What authenticator apps support everywhere (Google Authenticator ignores anything else). */
export const TOTP_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Time steps of clock drift accepted either way. */
export const TOTP_DRIFT_STEPS = 1;
const SECRET_BYTES = 20; // 160 bits, RFC 4226's recommended length

export const TOTP_CODE = /^\d{6}$/;

export function generateTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

export function timeStep(now: Date): number {
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: now.getTime() });
}

/**
 * The time step whose code `code` is, within the allowed drift of `now`, or null. Whether
 * that step was already used is the caller's check (see MfaRepository.claimTotpStep).
 */
export function matchingStep(secretBase32: string, code: string, now: Date): number | null {
  if (!TOTP_CODE.test(code)) return null;
  const counter = timeStep(now);
  const delta = HOTP.validate({
    token: code,
    secret: Secret.fromBase32(secretBase32),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    counter,
    window: TOTP_DRIFT_STEPS,
  });
  return delta === null ? null : counter + delta;
}

/** The Key URI Format (Google Authenticator, 1Password): label `<issuer>:<account>`. */
export function otpauthUrl(issuer: string, account: string, secretBase32: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({
    secret: secretBase32,
    issuer,
    algorithm: TOTP_ALGORITHM,
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, '%20')}`;
}
