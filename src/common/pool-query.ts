import { createHash } from 'node:crypto';
import { EntityManager, QueryFailedError } from 'typeorm';

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
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
 * On the pool, the statement runs as a named prepared statement (preparedName).
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
    const { rows } = await client.query({ name: preparedName(sql), text: sql, values: params });
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

const names = new Map<string, string>();

/**
 * The name a statement's text is prepared under: PostgreSQL parses and plans it once per
 * connection instead of on every call (README "What a refresh costs").
 * Such statements name their result columns: a prepared `SELECT *` fails with "cached plan
 * must not change result type" once a migration adds a column (a connection that fails a
 * statement is dropped, so the next one prepares it afresh).
 */
export function preparedName(sql: string): string {
  let name = names.get(sql);
  if (name === undefined) {
    name = `p21_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    names.set(sql, name);
  }
  return name;
}

function pgPoolOf(manager: EntityManager): PgPool | null {
  const master = (manager.connection.driver as { master?: Partial<PgPool> }).master;
  return typeof master?.query === 'function' ? (master as PgPool) : null;
}
