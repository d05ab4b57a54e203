const SECRET_KEY = /pass(word)?|secret|token|hash|authorization|cookie|jwt/i;

/** Drops values under password-, token- and hash-like keys, at any depth. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redactSecrets) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        SECRET_KEY.test(key) ? '[REDACTED]' : redactSecrets(v),
      ]),
    ) as T;
  }
  return value;
}
