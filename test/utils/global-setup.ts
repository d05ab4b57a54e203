import { buildPgliteTemplate, TEMPLATE_ENV } from './pglite-template';

/** Jest global setup: on the embedded default, one migrated database folder for every suite. */
export default async function globalSetup() {
  if (process.env.DATABASE_URL) return;
  process.env[TEMPLATE_ENV] = await buildPgliteTemplate();
}
