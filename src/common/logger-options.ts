import type { IncomingMessage } from 'node:http';
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
];

export function loggerOptions(config: AppConfig): Options {
  return {
    level: config.logLevel,
    genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id: string }).id,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    customProps: (req: IncomingMessage) => {
      const user = (req as IncomingMessage & { user?: { userId?: string } }).user;
      return user?.userId ? { userId: user.userId } : {};
    },
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
