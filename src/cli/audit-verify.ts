import { DataSource } from 'typeorm';
import { sealPending, verifyChain } from '../audit/audit-chain.repository';
import { ConfigError, loadConfig } from '../config/app-config';
import { loadDotEnv } from '../config/dotenv';
import { dataSourceOptions } from '../database/data-source-options';

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * `npm run audit:verify`: walks the audit hash chain of the configured database
 * (DATABASE_URL, or DATA_DIR for the embedded default). Resolves to the exit code: 0 when
 * intact; else 1, with the id of the first bad row alone on stdout.
 */
export async function runAuditVerify(env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`${err.message}\n`);
    return 1;
  }
  const dataSource = new DataSource({
    ...dataSourceOptions({ ...config, migrationsRun: false }),
    logging: ['error'],
  });
  await dataSource.initialize();
  try {
    await sealPending(dataSource);
    const result = await verifyChain(dataSource);
    if (result.valid) {
      io.stdout.write(
        `audit chain intact: ${result.checked} rows from seq ${result.from_seq + 1}, last seq ${result.last_seq}, last hash ${result.last_hash}\n`,
      );
      return 0;
    }
    io.stderr.write(`audit chain broken (${result.reason}) at row ${result.first_bad_id}\n`);
    io.stdout.write(`${result.first_bad_id}\n`);
    return 1;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  loadDotEnv();
  runAuditVerify(process.env, { stdout: process.stdout, stderr: process.stderr })
    .then((code) => process.exit(code))
    .catch((err: Error) => {
      console.error(`audit verification failed: ${err.message}`);
      process.exit(1);
    });
}
