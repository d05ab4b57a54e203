import { HttpStatus } from '@nestjs/common';

export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'INVALID_CREDENTIALS'
  | 'ACCOUNT_LOCKED'
  | 'INVALID_TOKEN'
  | 'TOKEN_REUSED'
  | 'INVALID_MFA_CODE'
  | 'FORBIDDEN'
  | 'EMAIL_NOT_VERIFIED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST_HEADER_FIELDS_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE';

export interface FieldError {
  field: string;
  message: string;
}

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    details?: FieldError[];
    retry_after?: number;
  };
}

/** An error that maps 1:1 onto the contract's envelope. */
export class AppError extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldError[],
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  /** The contract's envelope: the only place it is built. */
  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details) error.details = this.details;
    if (this.retryAfter !== undefined) error.retry_after = this.retryAfter;
    return { error };
  }

  static validation(details: FieldError[]) {
    return new AppError(HttpStatus.BAD_REQUEST, 'VALIDATION_ERROR', 'Validation failed', details);
  }
  static unauthorized(message = 'Authentication required') {
    return new AppError(HttpStatus.UNAUTHORIZED, 'UNAUTHORIZED', message);
  }
  static invalidCredentials() {
    return new AppError(
      HttpStatus.UNAUTHORIZED,
      'INVALID_CREDENTIALS',
      'Invalid email or password',
    );
  }
  static invalidToken(message = 'Invalid or expired refresh token') {
    return new AppError(HttpStatus.UNAUTHORIZED, 'INVALID_TOKEN', message);
  }
  /** 401 on the login's second step, 400 on the authenticated MFA routes (contract). */
  static invalidMfaCode(status: HttpStatus.BAD_REQUEST | HttpStatus.UNAUTHORIZED) {
    return new AppError(status, 'INVALID_MFA_CODE', 'Invalid authentication code');
  }
  static forbidden(message = 'Insufficient permissions') {
    return new AppError(HttpStatus.FORBIDDEN, 'FORBIDDEN', message);
  }
  static notFound(message = 'Resource not found') {
    return new AppError(HttpStatus.NOT_FOUND, 'NOT_FOUND', message);
  }
  static conflict(message: string) {
    return new AppError(HttpStatus.CONFLICT, 'CONFLICT', message);
  }
  static unavailable(message = 'A backing service is unavailable, try again shortly') {
    return new AppError(HttpStatus.SERVICE_UNAVAILABLE, 'SERVICE_UNAVAILABLE', message);
  }
}
