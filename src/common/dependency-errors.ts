import {
  QueryFailedError,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  '57014', // query_canceled: statement_timeout
  '25P03', // idle_in_transaction_session_timeout
]);

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'Connection is closed',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'Command timed out',
  'Client has encountered a connection error',
  'Dependency unavailable',
  'Query read timeout',
  'Client was closed and is not queryable',
  'is not queryable',
];

/** True when an error means PostgreSQL or Redis could not be reached (→ 503, not 500). */
export function isDependencyDown(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const err = current as {
      code?: string;
      message?: string;
      name?: string;
      driverError?: unknown;
    };
    if (err.code && CONNECTION_ERROR_CODES.has(err.code)) return true;
    if (err.name === 'MaxRetriesPerRequestError') return true;
    // TypeORM releases a query runner whose connection emitted 'error' (reset, server gone),
    // so a transaction's next statement after the connection died reports one of these
    // (through the runner, or through its EntityManager) instead.
    if (
      current instanceof QueryRunnerAlreadyReleasedError ||
      current instanceof QueryRunnerProviderAlreadyReleasedError
    )
      return true;
    if (
      typeof err.message === 'string' &&
      CONNECTION_MESSAGES.some((m) => err.message!.includes(m))
    )
      return true;
    current =
      current instanceof QueryFailedError ? err.driverError : (err as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Leads a data-modifying statement run outside any transaction: it commits by itself, so a
 * connection lost while it ran leaves it in doubt just like a COMMIT.
 */
export const SELF_COMMITTING = '/* self-committing */';

/**
 * The connection failed while a COMMIT (or a self-committing statement) was in flight:
 * PostgreSQL may have committed and only the acknowledgement was lost, which nobody can tell
 * before answering.
 */
export function isCommitInDoubt(error: unknown): boolean {
  return (
    error instanceof QueryFailedError &&
    (/^\s*COMMIT\b/i.test(error.query) || error.query.startsWith(SELF_COMMITTING))
  );
}
