import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp } from '../app.factory';
import { loadConfig } from '../config/app-config';

/**
 * `node dist/src/cli/openapi.js [file]`: writes the OpenAPI document the app serves at
 * /docs-json (default `openapi.json`), for `npm run openapi:lint`. The app runs on a
 * throw-away embedded database, whatever DATABASE_URL/REDIS_URL say, so the document
 * depends on the code alone.
 */
export async function exportOpenApi(file: string): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'p21-openapi-'));
  try {
    const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
    const app = await createApp(config);
    try {
      await app.init();
      const response = await app
        .getHttpAdapter()
        .getInstance()
        .inject({ method: 'GET', url: '/docs-json' });
      if (response.statusCode !== 200) {
        throw new Error(`GET /docs-json answered ${response.statusCode}`);
      }
      const document: unknown = JSON.parse(response.body);
      await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
    } finally {
      await app.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const file = resolve(process.argv[2] ?? 'openapi.json');
  exportOpenApi(file)
    .then(() => console.log(`OpenAPI document written to ${file}`))
    .catch((err: Error) => {
      console.error(`OpenAPI export failed: ${err.message}`);
      process.exit(1);
    });
}
