import { applyDecorators } from '@nestjs/common';
import { ApiExtension, ApiOperation } from '@nestjs/swagger';
import type { ErrorCode } from './app-error';

/** The error codes an operation can answer with, per HTTP status. */
export type ErrorCodesByStatus = Partial<Record<number, readonly ErrorCode[]>>;

/** Carries `errors` from the decorator to `documentErrorCodes`, which removes it again. */
export const ERROR_CODES_EXTENSION = 'x-error-codes';

export interface ApiOpOptions {
  /** Stable, camelCase: generated clients name their functions after it (`login`, `listUsers`). */
  id: string;
  /** One line, imperative: "Log in with email and password". */
  summary: string;
  description?: string;
  /**
   * The codes this route itself can answer with, e.g. `{ 401: ['INVALID_CREDENTIALS',
   * 'ACCOUNT_LOCKED'], 409: ['CONFLICT'] }`. Codes every route of a kind can get are added
   * for you (see `documentErrorCodes`): VALIDATION_ERROR/BAD_REQUEST, UNAUTHORIZED with
   * `@Auth()`, FORBIDDEN with roles, TOO_MANY_REQUESTS with `@RateLimited()`, 413/415 with
   * a body, 431, 500, 503.
   */
  errors?: ErrorCodesByStatus;
}

/**
 * Every route's OpenAPI identity: operationId, summary and the enum of its error codes,
 * so a typed client can switch exhaustively over them. `test/e2e/openapi.e2e.spec.ts`
 * fails for a route without it.
 */
export function ApiOp({ id, summary, description, errors = {} }: ApiOpOptions) {
  return applyDecorators(
    ApiOperation({ operationId: id, summary, ...(description ? { description } : {}) }),
    ApiExtension(ERROR_CODES_EXTENSION, errors),
  );
}
