import type { OpenAPIObject } from '@nestjs/swagger';
import { ERROR_CODES_EXTENSION, type ErrorCodesByStatus } from './api-operation';
import type { ErrorCode } from './app-error';

const ENVELOPE_REF = '#/components/schemas/ErrorResponse';
const ERROR_DETAIL_REF = '#/components/schemas/ErrorDetailDto';

/** The code a documented status means when the route names none of its own. */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

/** What each code means, for the response descriptions. */
const CODE_MEANING: Partial<Record<ErrorCode, string>> = {
  VALIDATION_ERROR: 'the body, query or path failed validation (see `details`)',
  BAD_REQUEST: 'malformed JSON or URL, a `Host` not in ALLOWED_HOSTS, or two `Host` headers',
  UNAUTHORIZED: 'missing, invalid, expired or revoked access token',
  INVALID_CREDENTIALS: 'wrong email or password (or unknown/inactive user: same answer)',
  ACCOUNT_LOCKED: 'too many failed logins for this email; wait LOCKOUT_DURATION_SECONDS',
  INVALID_TOKEN: 'the token is invalid, expired, revoked or of the wrong type',
  TOKEN_REUSED: 'an already rotated refresh token: its session is now revoked',
  FORBIDDEN: 'your role may not use this route',
  NOT_FOUND: 'no such resource',
  CONFLICT: 'the change conflicts with the current state',
  PAYLOAD_TOO_LARGE: 'body over BODY_LIMIT_BYTES',
  UNSUPPORTED_MEDIA_TYPE: 'a body that is not application/json',
  REQUEST_HEADER_FIELDS_TOO_LARGE: 'request headers over 16 KiB',
  TOO_MANY_REQUESTS: 'rate limit hit; see `retry_after` and Retry-After',
  INTERNAL_ERROR: 'unexpected; never a stack trace, SQL or internal message',
  SERVICE_UNAVAILABLE: 'PostgreSQL or Redis unreachable; retry shortly',
};

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;
type ResponseObject = Exclude<NonNullable<OperationObject['responses'][string]>, { $ref: string }>;
type Operation = OperationObject & { [ERROR_CODES_EXTENSION]?: ErrorCodesByStatus };

/**
 * Gives every error response of every operation the envelope schema with the enum of the
 * codes it can carry: those the route declares with `@ApiOp({ errors })`, the default code
 * of any other status it documents, and those every route of its kind can get. Responses
 * with their own schema (the health probes' 503) are left alone.
 */
export function documentErrorCodes(document: OpenAPIObject) {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete'] as const) {
      const operation: Operation | undefined = item[method];
      if (!operation) continue;
      const codes = collectCodes(path, operation);
      delete operation[ERROR_CODES_EXTENSION];
      for (const [status, set] of codes) {
        const existing = operation.responses[status] as ResponseObject | undefined;
        if (existing && !isEnvelope(existing)) continue;
        const list = [...set].sort();
        operation.responses[status] = {
          ...existing,
          description: describe(existing?.description, list),
          content: { 'application/json': { schema: envelopeSchema(list) } },
        };
      }
    }
  }
}

function collectCodes(path: string, operation: Operation): Map<string, Set<ErrorCode>> {
  const codes = new Map<string, Set<ErrorCode>>();
  const add = (status: number | string, ...list: ErrorCode[]) => {
    const key = String(status);
    const set = codes.get(key) ?? new Set<ErrorCode>();
    list.forEach((code) => set.add(code));
    codes.set(key, set);
  };
  const declared = operation[ERROR_CODES_EXTENSION] ?? {};
  for (const [status, list] of Object.entries(declared)) add(status, ...(list ?? []));
  for (const [status, response] of Object.entries(operation.responses)) {
    const number = Number(status);
    if (number < 400 || codes.has(status) || !isEnvelope(response as ResponseObject)) continue;
    if (CODE_BY_STATUS[number]) add(number, CODE_BY_STATUS[number]);
  }
  const isApi = path.startsWith('/api/');
  const hasInput = Boolean(operation.requestBody) || (operation.parameters?.length ?? 0) > 0;
  add(400, 'BAD_REQUEST');
  if (hasInput) add(400, 'VALIDATION_ERROR');
  if ((operation.security?.length ?? 0) > 0) add(401, 'UNAUTHORIZED');
  if (operation.requestBody) {
    add(413, 'PAYLOAD_TOO_LARGE');
    add(415, 'UNSUPPORTED_MEDIA_TYPE');
  }
  add(431, 'REQUEST_HEADER_FIELDS_TOO_LARGE');
  add(500, 'INTERNAL_ERROR');
  if (isApi) add(503, 'SERVICE_UNAVAILABLE');
  return codes;
}

/** No content, or the generic envelope: a response this module may (re)write. */
function isEnvelope(response: ResponseObject): boolean {
  const schema = response.content?.['application/json']?.schema as { $ref?: string } | undefined;
  return !response.content || schema?.$ref === ENVELOPE_REF;
}

function describe(existing: string | undefined, codes: ErrorCode[]): string {
  const lines = codes.map(
    (code) => `\`${code}\`${CODE_MEANING[code] ? ': ' + CODE_MEANING[code] : ''}`,
  );
  const head = existing && existing !== '' ? `${existing}\n\n` : '';
  return `${head}${lines.join('; ')}`;
}

function envelopeSchema(codes: ErrorCode[]) {
  return {
    type: 'object' as const,
    required: ['error'],
    properties: {
      error: {
        allOf: [
          { $ref: ERROR_DETAIL_REF },
          {
            type: 'object' as const,
            required: ['code'],
            properties: { code: { type: 'string' as const, enum: codes } },
          },
        ],
      },
    },
  };
}
