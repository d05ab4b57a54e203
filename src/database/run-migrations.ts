import { DataSource } from 'typeorm';

/** Any constant: the key of the session-level lock that serialises migrators. */
const MIGRATION_LOCK_KEY = 7_302_154_001;

/**
 * Runs pending migrations, one migrator at a time: replicas starting together on an empty
 * PostgreSQL database would otherwise race on CREATE TABLE. The embedded database serves one
 * process and one session, where such a lock would only block the migrations themselves.
 */
export async function runMigrationsExclusively(dataSource: DataSource, embedded: boolean) {
  if (embedded) return dataSource.runMigrations({ transaction: 'each' });
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lockHolder
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await lockHolder.release();
  }
}
