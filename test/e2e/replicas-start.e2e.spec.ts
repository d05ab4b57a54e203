import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { runMigrationsExclusively } from '../../src/database/run-migrations';
import { createTestApp } from '../utils/test-app';
import { createTestStorage, usingPostgres } from '../utils/test-env';

// Several replicas migrating one empty PostgreSQL database at once.
const describeOnPostgres = usingPostgres ? describe : describe.skip;

describeOnPostgres('replicas starting together', () => {
  it('three migrators on one empty database: none fails, each migration runs once', async () => {
    const storage = await createTestStorage();
    const options = dataSourceOptions({
      databaseUrl: storage.env.DATABASE_URL,
      dataDir: '',
      migrationsRun: false,
    });
    const sources = await Promise.all([1, 2, 3].map(() => new DataSource(options).initialize()));
    try {
      const applied = await Promise.all(sources.map((ds) => runMigrationsExclusively(ds, false)));
      expect(applied.flat().length).toBe(options.migrations!.length as number);
      const rows: Array<{ name: string }> = await sources[0].query(`SELECT name FROM migrations`);
      expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
    } finally {
      for (const ds of sources) await ds.destroy();
    }
    const t = await createTestApp({}, storage);
    await t.http.get('/health/ready').expect(200);
    await t.close();
  });
});
