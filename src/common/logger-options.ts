import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { Options } from 'pino-http';
import type { AppConfig } from '../config/app-config';

/** Keys redacted wherever they appear in a log line (request bodies are not logged at all). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.access_token',
  '*.refresh_token',
  '*.password_hash',
  '*.token',
  '*.mfa_token',
  '*.code',
  '*.recovery_code',
  '*.recovery_codes',
  '*.secret',
  '*.otpauth_url',
];

type LoggedRequest = IncomingMessage & {
  id: string;
  routePattern?: string;
  user?: { userId?: string };
};

/**
 * Fastify `onRequest` hook: pino-http only sees the raw request, so the matched route
 * pattern (never the raw URL with its ids) is copied onto it for the request log line.
 */
export function exposeRouteToLogger(request: FastifyRequest, _reply: unknown, done: () => void) {
  (request.raw as LoggedRequest).routePattern = request.is404
    ? 'unmatched'
    : request.routeOptions.url;
  done();
}

/** Flat fields on the one line logged per request, so aggregators need no nested paths. */
function requestSummary(req: IncomingMessage, res: ServerResponse, val: object) {
  const { id, routePattern, user } = req as LoggedRequest;
  return {
    ...val,
    reqId: id,
    route: routePattern ?? 'unmatched',
    status: res.statusCode,
    ...(user?.userId ? { userId: user.userId } : {}),
  };
}

export function loggerOptions(config: AppConfig): Options {
  return {
    level: config.logLevel,
    genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id: string }).id,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    customSuccessObject: requestSummary,
    customErrorObject: (req, res, _error, val: object) => requestSummary(req, res, val),
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/** Whether `level` lets pino-http's "request completed" lines (level info) through. */
export function logsRequests(level: string): boolean {
  return ['info', 'debug', 'trace'].includes(level);
}
