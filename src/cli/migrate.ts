import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';
import { loadDotEnv } from '../config/dotenv';
import { runMigrationsExclusively } from '../database/run-migrations';

/** Pending schema changes: SQL that would bring the database in line with the entities. */
export async function pendingSchemaChanges(dataSource: DataSource) {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((q) => q.query);
}

async function main(command: string | undefined, name: string | undefined) {
  loadDotEnv();
  const config = loadConfig(process.env);
  const dataSource = new DataSource({
    ...dataSourceOptions({ ...config, migrationsRun: false }, 'migrations'),
    logging: ['error'],
  });
  await dataSource.initialize();
  try {
    if (command === 'run') {
      const applied = await runMigrationsExclusively(dataSource, !config.databaseUrl);
      console.log(
        applied.length
          ? `applied: ${applied.map((m) => m.name).join(', ')}`
          : 'no pending migrations',
      );
    } else if (command === 'revert') {
      await dataSource.undoLastMigration({ transaction: 'each' });
      console.log('reverted the last migration');
    } else if (command === 'generate' || command === 'check') {
      const pending = await pendingSchemaChanges(dataSource);
      if (pending.length === 0) {
        console.log('entities and schema agree: nothing to generate');
      } else if (command === 'check') {
        console.error(pending.join(';\n'));
        process.exitCode = 1;
      } else {
        const stamp = Date.now();
        const className = `${name ?? 'Migration'}${stamp}`;
        const file = join('migrations', `${stamp}-${name ?? 'Migration'}.ts`);
        const up = pending
          .map((q) => `    await db.query(\`${q.replace(/`/g, '\\`')}\`);`)
          .join('\n');
        writeFileSync(
          file,
          `import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${className} implements MigrationInterface {\n  name = '${className}';\n\n  async up(db: QueryRunner): Promise<void> {\n${up}\n  }\n\n  async down(): Promise<void> {\n    throw new Error('write the down migration by hand');\n  }\n}\n`,
        );
        console.log(
          `wrote ${file}: review it, then add the class to MIGRATIONS in src/database/data-source-options.ts`,
        );
      }
    } else {
      console.error('usage: migrate.js run | revert | generate [Name] | check');
      process.exitCode = 2;
    }
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main(process.argv[2], process.argv[3]).catch((err: Error) => {
    console.error(`migration failed: ${err.message}`);
    process.exit(1);
  });
}
