/**
 * OpenAPI property options shared by the DTOs, so that every string in /docs-json carries a
 * length bound and a format (checked by `npm run openapi:lint`). Documentation only.
 */
export const UUID_PROPERTY = { format: 'uuid', maxLength: 36 } as const;

/** `Date#toISOString()`: 24 characters, 27 for years past 9999. */
export const DATE_TIME_PROPERTY = { format: 'date-time', maxLength: 32 } as const;

/** The trimmed, lower-cased address; `@IsEmail` refuses more than 254 characters. */
export const EMAIL_PROPERTY = { format: 'email', maxLength: 255 } as const;

/** `IsE164`: a plus sign and at most 15 digits. */
export const E164_PROPERTY = { pattern: '^\\+[1-9]\\d{1,14}$', maxLength: 16 } as const;

/** PostgreSQL `inet` text of an IPv4 or IPv6 host address (no standard `format` covers both). */
export const IP_PROPERTY = {
  pattern: '^[0-9A-Fa-f:.]{2,45}$',
  maxLength: 45,
  description: 'IPv4 (`203.0.113.7`) or IPv6 (`2001:db8::1`, `::ffff:203.0.113.7`) address',
} as const;

/** The `User-Agent` header as stored: cut to 512 characters (`@ClientMeta`). */
export const USER_AGENT_PROPERTY = { maxLength: 512 } as const;

/** A JWT: tokens over 4,096 characters are refused before parsing (`MAX_TOKEN_LENGTH`). */
export const JWT_PROPERTY = {
  pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
  maxLength: 4096,
} as const;

/** bcrypt reads 72 bytes, so a policy-conforming password has at most 72 characters. */
export const NEW_PASSWORD_PROPERTY = { format: 'password', maxLength: 72 } as const;

/** JSON numbers the service counts with: non-negative, within a 64-bit integer. */
export const COUNT_PROPERTY = {
  type: 'integer',
  format: 'int64',
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
} as const;

/** A hex SHA-256 digest (the audit hash chain). */
export const HASH_PROPERTY = { pattern: '^[0-9a-f]{64}$', maxLength: 64 } as const;

/** Any UUID in its 8-4-4-4-12 hex form, whatever its version and variant bits. */
export const UUID_PATTERN =
  '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';

/** The `:id` path parameter of a user or a session (a malformed one is a 400). */
export const UUID_PARAM = {
  name: 'id',
  required: true,
  description:
    'A UUID as 32 hex digits in 8-4-4-4-12 groups, any version or variant; anything else is ' +
    '400 VALIDATION_ERROR, an unknown one 404',
  schema: { type: 'string', ...UUID_PROPERTY, pattern: UUID_PATTERN },
} as const;
