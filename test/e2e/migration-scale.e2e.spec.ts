import { DataSource } from 'typeorm';
import { verifyChain } from '../../src/audit/audit-chain.repository';
import { loadConfig } from '../../src/config/app-config';
import { dataSourceOptions, MIGRATIONS } from '../../src/database/data-source-options';
import { runMigrationsExclusively } from '../../src/database/run-migrations';
import { createTestStorage, TestStorage, usingPostgres } from '../utils/test-env';

/**
 * The audit-chain migration on a real-sized table: ≥ 1M audit rows written before it, run the
 * way the migration CLI runs it (its own, longer statement timeout), within CI's time.
 */
const describeOnPostgres = usingPostgres ? describe : describe.skip;
const ROWS = Number(process.env.MIGRATION_TEST_ROWS ?? 1_000_000);
const CHAIN = MIGRATIONS.findIndex((m) => m.name.startsWith('AuditHashChain'));

describeOnPostgres('migrations on a database with 1M audit rows', () => {
  let storage: TestStorage;
  afterAll(() => storage?.cleanup());

  async function migratedBeforeChain(purpose: 'app' | 'migrations') {
    const config = loadConfig({ ...storage.env, LOG_LEVEL: 'silent' });
    const options = dataSourceOptions({ ...config, migrationsRun: false }, purpose);
    const early = new DataSource({ ...options, migrations: MIGRATIONS.slice(0, CHAIN) });
    await early.initialize();
    await runMigrationsExclusively(early, false);
    await early.destroy();
    return new DataSource(options).initialize();
  }

  it('chains a small table exactly as verification expects (NULL dates, addresses)', async () => {
    storage = await createTestStorage();
    const db = await migratedBeforeChain('migrations');
    await db.query(`
      INSERT INTO audit_logs (action, resource, details, ip_address, user_agent, created_at)
      SELECT 'USER_LOGIN', 'auth', jsonb_build_object('n', g, 'b', 'x'),
             CASE WHEN g % 2 = 0 THEN '10.0.0.1'::inet END, 'ua',
             CASE WHEN g % 7 = 0 THEN NULL ELSE now() - g * interval '1.0001 second' END
        FROM generate_series(1, 50) g`);
    await runMigrationsExclusively(db, false);
    await expect(verifyChain(db)).resolves.toMatchObject({ valid: true, checked: 50 });
    await db.destroy();
    await storage.cleanup();
    storage = undefined as unknown as TestStorage;
  });

  it(`runs over ${ROWS} rows with the migration statement timeout`, async () => {
    storage = await createTestStorage();
    const db = await migratedBeforeChain('migrations');
    await db.query(
      `INSERT INTO audit_logs (action, resource, details, ip_address, created_at)
       SELECT 'USER_LOGIN', 'auth', jsonb_build_object('request_id', 'r' || g),
              '192.0.2.1'::inet, now() - g * interval '1 millisecond'
         FROM generate_series(1, $1::int) g`,
      [ROWS],
    );
    const started = Date.now();
    const applied = await runMigrationsExclusively(db, false);
    const seconds = (Date.now() - started) / 1000;
    console.log(`audit-chain migration over ${ROWS} rows: ${seconds.toFixed(1)} s`);
    expect(applied.map((m) => m.name)).toContain(MIGRATIONS[CHAIN].name);

    const [counts] = await db.query<[{ sealed: number; broken: number }]>(
      `SELECT count(seq)::int AS sealed,
              (SELECT count(*)::int FROM audit_logs a JOIN audit_logs b ON b.seq = a.seq - 1
                WHERE a.prev_hash <> b.hash) AS broken
         FROM audit_logs`,
    );
    expect(counts).toEqual({ sealed: ROWS, broken: 0 });
    await db.destroy();
  }, 1_200_000);
});
