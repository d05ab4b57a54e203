import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from './app-error';

/**
 * Errors Fastify answers itself, before Nest's exception filter can run: a URL that cannot
 * be decoded (`/api/users/%FF`) and requests Node's parser refuses (headers over 16 KiB).
 * Both get the contract's envelope instead of Fastify's own `{statusCode, error, message}`.
 */
export function frameworkErrors(
  _error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  void reply
    .status(400)
    .header('X-Request-Id', String(request.id))
    .send(new AppError(400, 'BAD_REQUEST', 'Malformed URL').toBody());
}

export function clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, ErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'Request headers too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'BAD_REQUEST', 'Request timeout']
        : [400, 'BAD_REQUEST', 'Malformed request'];
  const body = JSON.stringify(new AppError(status, code, message).toBody());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
