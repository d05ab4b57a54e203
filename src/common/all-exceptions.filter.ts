import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { AppError, ErrorCode } from './app-error';
import { isCommitInDoubt, isDependencyDown } from './dependency-errors';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

const MESSAGE_BY_STATUS: Record<number, string> = {
  400: 'Malformed request',
  404: 'Route not found',
  413: 'Request body too large',
  415: 'Unsupported content type, send application/json',
};

/** Turns every error, from every layer, into the contract's `{ error: {...} }` envelope. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const error = this.toAppError(exception, request);
    if (error.status === HttpStatus.UNAUTHORIZED && error.code === 'UNAUTHORIZED') {
      reply.header('WWW-Authenticate', 'Bearer');
    }
    if (error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter));
    reply.status(error.status).send(error.toBody());
  }

  private toAppError(exception: unknown, request: FastifyRequest): AppError {
    if (exception instanceof AppError) return exception;
    // Its ECONNRESET is the client's socket, not PostgreSQL's or Redis's; pino-http already
    // logs the line ("request aborted"), and nobody is left to read the answer.
    if (isClientAbort(exception)) {
      return new AppError(HttpStatus.BAD_REQUEST, 'BAD_REQUEST', 'Request aborted');
    }
    if (isDependencyDown(exception)) {
      const message = isCommitInDoubt(exception)
        ? 'dependency unavailable during COMMIT: the write may have committed'
        : 'dependency unavailable';
      this.logger.warn({ reqId: request.id, err: describe(exception) }, message);
      return AppError.unavailable();
    }
    if (isBadInputForDatabase(exception))
      return new AppError(HttpStatus.BAD_REQUEST, 'BAD_REQUEST', 'Malformed request');
    const status = httpStatusOf(exception);
    if (status && status < 500 && CODE_BY_STATUS[status]) {
      const message =
        status === 404 && exception instanceof HttpException
          ? 'Route not found'
          : (MESSAGE_BY_STATUS[status] ?? messageOf(exception));
      return new AppError(status, CODE_BY_STATUS[status], message);
    }
    this.logger.error(
      { reqId: request.id, err: exception instanceof Error ? exception : describe(exception) },
      'unhandled error',
    );
    return new AppError(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'INTERNAL_ERROR',
      'Internal server error',
    );
  }
}

/** Node's error on a request stream whose client closed the connection mid-body. */
function isClientAbort(exception: unknown) {
  const err = exception as { code?: unknown; message?: unknown };
  return err?.code === 'ECONNRESET' && err.message === 'aborted';
}

/** Data the database refuses to store (encoding, size, range): the client's input, not our fault. */
const BAD_INPUT_SQLSTATES = new Set(['22021', '22P05', '22001', '22003', '22P02', '54000']);

function isBadInputForDatabase(exception: unknown) {
  return (
    exception instanceof QueryFailedError &&
    BAD_INPUT_SQLSTATES.has((exception.driverError as { code?: string } | undefined)?.code ?? '')
  );
}

function httpStatusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const statusCode = (exception as { statusCode?: unknown })?.statusCode;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

function messageOf(exception: unknown): string {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return 'Request rejected';
}

function describe(exception: unknown): string {
  return exception instanceof Error ? `${exception.name}: ${exception.message}` : String(exception);
}
