import { domainToASCII, domainToUnicode } from 'node:url';
import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * Characters that make two addresses look alike or hide part of one: controls, format
 * characters (zero-width space/joiners, bidi marks), private-use, unassigned, separators
 * (any space) and the other default-ignorable code points (variation selectors, fillers).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Z}\p{Default_Ignorable_Code_Point}]/u;

const LONE_SURROGATE = /\p{Cs}/u;

const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Georgian',
  'Hangul',
  'Ethiopic',
  'Cherokee',
  'Khmer',
  'Mongolian',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Han',
].map((name) => [name, new RegExp(`^\\p{Script=${name}}$`, 'u')] as const);
const SCRIPT_NEUTRAL = /^[\p{Script=Common}\p{Script=Inherited}]$/u;

/** UTS #39 "highly restrictive": one script, or Latin + Han with Japanese, Chinese or Korean. */
const ALLOWED_SCRIPT_MIXES = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

function scriptOf(char: string): string | null {
  if (SCRIPT_NEUTRAL.test(char)) return null;
  return SCRIPTS.find(([, pattern]) => pattern.test(char))?.[0] ?? 'Other';
}

function mixesScripts(label: string): boolean {
  const scripts = new Set<string>();
  for (const char of label) {
    const script = scriptOf(char);
    if (script) scripts.add(script);
  }
  if (scripts.size <= 1) return false;
  return !ALLOWED_SCRIPT_MIXES.some((allowed) => [...scripts].every((s) => allowed.has(s)));
}

/**
 * The one form an address is stored and looked up in: trimmed; NFKC (which folds fullwidth
 * and other compatibility forms, and composes `e` + U+0301 into `é`); lower-cased; the domain
 * through IDNA (UTS #46) to its ASCII form, so `bücher.de` and `xn--bcher-kva.de` are one.
 * Anything `accountEmailProblem` refuses is returned with those characters intact.
 */
export function normalizeEmail(value: string): string {
  if (LONE_SURROGATE.test(value)) return value;
  const folded = value.trim().normalize('NFKC').toLowerCase().normalize('NFC');
  if (INVISIBLE.test(folded)) return folded;
  const at = folded.lastIndexOf('@');
  if (at < 1) return folded;
  const domain = domainToASCII(folded.slice(at + 1));
  return domain ? `${folded.slice(0, at + 1)}${domain}` : folded;
}

/** Why a normalised address cannot name an account, or null. */
export function accountEmailProblem(email: string): string | null {
  if (INVISIBLE.test(email)) {
    return 'email must not contain invisible, control or formatting characters';
  }
  const at = email.lastIndexOf('@');
  if (at < 1) return null; // @IsEmail's to report
  const domain = domainToUnicode(email.slice(at + 1));
  if (!domain) return 'email domain is not a valid domain name';
  const labels = [...email.slice(0, at).split('.'), ...domain.split('.')];
  if (labels.some(mixesScripts)) {
    return 'email must not mix scripts (such as Latin and Cyrillic) within one part';
  }
  return null;
}

/** The address rules of `accountEmailProblem`, on a value already through `normalizeEmail`. */
export function IsAccountEmail(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isAccountEmail',
      target: object.constructor,
      propertyName,
      options: {
        message: ({ value }) =>
          (typeof value === 'string' && accountEmailProblem(value)) ||
          'email must be a valid email address',
        ...options,
      },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !accountEmailProblem(value),
      },
    });
}
