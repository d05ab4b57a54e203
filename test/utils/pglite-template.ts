import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { runMigrationsExclusively } from '../../src/database/run-migrations';

/** Where the migrated embedded database of this test run is kept (set by the global setup). */
export const TEMPLATE_ENV = 'P21_TEST_PGLITE_TEMPLATE';

/**
 * An embedded (PGlite) data folder with every migration applied, built once per test run:
 * a fresh folder costs each test app about 6 s of initdb and migrations in WebAssembly; a
 * copy of this one costs milliseconds. The app still runs its migrations at start-up (none
 * are pending), and suites that test a first start use their own empty folder.
 */
export async function buildPgliteTemplate(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'p21-template-'));
  const dataSource = new DataSource(
    dataSourceOptions({ databaseUrl: undefined, dataDir: dir, migrationsRun: false }, 'migrations'),
  );
  await dataSource.initialize();
  try {
    await runMigrationsExclusively(dataSource, true);
  } finally {
    await dataSource.destroy();
  }
  return dir;
}

/** Fills `dir` with a copy of the run's migrated template, when the global setup built one. */
export function copyPgliteTemplate(dir: string) {
  const template = process.env[TEMPLATE_ENV];
  if (template) cpSync(template, dir, { recursive: true });
}

export function removePgliteTemplate() {
  const template = process.env[TEMPLATE_ENV];
  if (template) rmSync(template, { recursive: true, force: true });
}
