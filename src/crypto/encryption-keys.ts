import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { type AppConfig, IN_MEMORY_DATA_DIR } from '../config/app-config';
import { decodeKey, generateKey } from './secret-box';

export const DEV_KEY_FILE = 'secrets-encryption.key';

/**
 * The keys of the SecretBox. SECRETS_ENCRYPTION_KEY when set (required in production, see
 * loadConfig); otherwise a key generated once and kept in DATA_DIR, so a development restart
 * can still open the secrets sealed before it.
 */
export function loadEncryptionKeys(config: Pick<AppConfig, 'secrets' | 'dataDir'>): {
  current: Buffer;
  previous: Buffer[];
} {
  const previous = config.secrets.previousKeys.map(decodeKey);
  if (config.secrets.key) return { current: decodeKey(config.secrets.key), previous };
  // An in-memory database ends with the process, and so may the key of its secrets.
  if (config.dataDir === IN_MEMORY_DATA_DIR) return { current: decodeKey(generateKey()), previous };
  const file = join(resolve(config.dataDir), DEV_KEY_FILE);
  return { current: decodeKey(readOrCreate(file)), previous };
}

function readOrCreate(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(file), { recursive: true });
  try {
    // 'wx': when two processes start at once, the second one reads the first one's key.
    writeFileSync(file, `${generateKey()}\n`, { flag: 'wx', mode: 0o600 });
    new Logger('SecretBox').warn(
      `SECRETS_ENCRYPTION_KEY is not set: generated one in ${file} (development only; ` +
        'set SECRETS_ENCRYPTION_KEY in production)',
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(file, 'utf8');
}
