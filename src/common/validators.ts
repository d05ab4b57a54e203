import { Transform } from 'class-transformer';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import sanitizeHtml from 'sanitize-html';
import { normalizeEmail } from './email-address';

/** Emails are normalised (`normalizeEmail`) before validation, storage and lookup. */
export const NormalizeEmail = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? normalizeEmail(value) : value,
  );

/** Strips HTML tags (keeping their text), trims; empty becomes null. */
export const SanitizeName = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const clean = sanitizeHtml(value, { allowedTags: [], allowedAttributes: {} })
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/[<>]/g, '')
      .trim();
    return clean === '' ? null : clean;
  });

/** Phone numbers must be valid E.164 (`+` and country code, no spaces). */
export function IsE164(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isE164',
      target: object.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be a valid E.164 phone number, e.g. +14155550100`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          /^\+[1-9]\d{1,14}$/.test(value) &&
          parsePhoneNumberFromString(value)?.isValid() === true,
      },
    });
}

/** Joins several messages of one constraint; the validation pipe splits them again. */
export const MESSAGE_SEPARATOR = '\n';
