import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * 49,233 common passwords from `@zxcvbn-ts/language-common` (the list zxcvbn-ts ships,
 * drawn from leaked-password corpora), lower-cased for case-insensitive lookup.
 */
const COMMON = new Set(dictionary['passwords-common'].map((p: string) => p.toLowerCase()));

const TRAILING_SYMBOLS = /[@$!%*?&]+$/;
const TRAILING_DIGITS_AND_SYMBOLS = /[\d@$!%*?&]+$/;
const MIN_BASE_LENGTH = 4;

/**
 * True for a listed password, also when the composition rules were met by tacking digits or
 * symbols onto a listed one ("Password1!" is "password1" + "!").
 */
export function isCommonPassword(password: string): boolean {
  const lower = password.toLowerCase();
  const candidates = [
    lower,
    lower.replace(TRAILING_SYMBOLS, ''),
    lower.replace(TRAILING_DIGITS_AND_SYMBOLS, ''),
  ];
  return candidates.some((c) => c.length >= MIN_BASE_LENGTH && COMMON.has(c));
}

export const COMMON_PASSWORD_COUNT = COMMON.size;
