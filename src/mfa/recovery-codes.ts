import { createHash, randomInt } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32 alphabet (no I, L, O, U): 5 bits per character. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/**
 * 25 characters = 125 random bits: above the 112 bits for which ASVS 6.5.2 lets lookup
 * secrets be stored with a plain hash, so each code is found (and consumed) by one indexed
 * statement instead of a slow salted hash per stored code.
 */
const GROUPS = 5;
const GROUP_LENGTH = 5;

/** Ten fresh codes, shown once as `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`. */
export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    Array.from({ length: GROUPS }, () =>
      Array.from({ length: GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join(''),
    ).join('-'),
  );
}

/** Case, hyphens and spaces do not matter; Crockford's look-alikes read as their digits. */
export function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** SHA-256 without salt or stretching: 125 random bits are beyond offline guessing. */
export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normalizeRecoveryCode(code)).digest('hex');
}
