import { EntityManager, QueryFailedError } from 'typeorm';

interface PgClient {
  query(sql: string, params: unknown[]): Promise<{ rows: unknown[] }>;
  release(err?: Error | boolean): void;
  on(event: 'error', listener: (err: Error) => void): void;
  off(event: 'error', listener: (err: Error) => void): void;
}

interface PgPool {
  connect(): Promise<PgClient>;
  query: unknown;
}

/**
 * One statement's rows, for the per-request hot paths: straight on `pg`'s pool when the
 * manager is not in a transaction, else (a transaction, or PGlite, whose pool has no `query`)
 * through TypeORM. TypeORM's `query` builds, connects and releases a query runner per call and
 * broadcasts its events: ~8 % of `GET /api/users/me` side by side (README "Benchmarks").
 * A statement's errors are TypeORM's `QueryFailedError` either way, carrying the statement.
 */
export async function queryRows<T>(
  manager: EntityManager,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  const pool = manager.queryRunner?.isTransactionActive ? null : pgPoolOf(manager);
  if (!pool) return manager.query<T[]>(sql, params);
  // Not connecting is not a failed statement (nothing was sent): that error stays as it is.
  const client = await pool.connect();
  // A connection that dies mid-statement also emits 'error' (pg-pool listens only while idle);
  // the statement's rejection below is what reports it.
  client.on('error', ignore);
  try {
    const { rows } = await client.query(sql, params);
    client.release();
    return rows as T[];
  } catch (err) {
    client.release(err as Error); // a connection that failed a statement is not reused
    throw new QueryFailedError(sql, params, err as Error);
  } finally {
    client.off('error', ignore);
  }
}

const ignore = () => undefined;

function pgPoolOf(manager: EntityManager): PgPool | null {
  const master = (manager.connection.driver as { master?: Partial<PgPool> }).master;
  return typeof master?.query === 'function' ? (master as PgPool) : null;
}
