import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { loadEncryptionKeys } from '../crypto/encryption-keys';
import { SecretBox } from '../crypto/secret-box';
import type { AppConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';
import { RevocationService } from '../sessions/revocation.service';
import { SigningKeysRepository } from '../signing-keys/signing-keys.repository';
import { SigningKeysService } from '../signing-keys/signing-keys.service';
import { KvStore } from '../store/kv-store';
import { MemoryKvStore } from '../store/memory-kv-store';
import { RedisKvStore } from '../store/redis-kv-store';
import { createRedis } from '../store/store.module';
import type { CliIo } from './cli-io';

export const KEYS_USAGE = `usage: npm run cli -- keys rotate
       npm run cli -- keys revoke <kid>
  rotate: the next signing key (pre-published, or a new one) starts signing now.
  revoke: tokens signed by <kid> are refused at once by every replica (through Redis);
          revoking the active key starts the next one.`;

function secretBox(config: AppConfig) {
  const { current, previous } = loadEncryptionKeys(config);
  return new SecretBox(current, previous);
}

/** `keys rotate` / `keys revoke <kid>`, against the service's own database and Redis. */
export async function runKeysCommand(
  args: string[],
  config: AppConfig,
  io: CliIo,
): Promise<number> {
  const [action, kid, ...extra] = args;
  const valid =
    extra.length === 0 &&
    ((action === 'rotate' && kid === undefined) || (action === 'revoke' && !!kid));
  if (!valid) {
    io.stderr.write(`${KEYS_USAGE}\n`);
    return 2;
  }
  if (!config.jwt.asymmetric) {
    io.stderr.write(
      `JWT_ALGORITHM is ${config.jwt.algorithm}: there are no managed signing keys (RS256, ES256 or EdDSA have them)\n`,
    );
    return 1;
  }
  if (!config.redisUrl) {
    io.stderr.write(
      'note: REDIS_URL is unset; a running instance sees this change at its next key reload (within a minute)\n',
    );
  }
  const dataSource = await new DataSource({
    ...dataSourceOptions(config),
    logging: ['error'],
  }).initialize();
  const redis = config.redisUrl ? createRedis(config.redisUrl, config.redisKeyPrefix) : null;
  const store: KvStore = redis ? new RedisKvStore(redis) : new MemoryKvStore();
  try {
    const keys = new SigningKeysService(
      new SigningKeysRepository(dataSource),
      store,
      new RevocationService(store, config),
      new AuditService(dataSource),
      config,
      new Clock(),
      secretBox(config),
    );
    if (action === 'rotate') {
      const { kid: next, previousKid } = await keys.rotate();
      io.stdout.write(`rotated: ${next} signs from now on (previous: ${previousKid ?? 'none'})\n`);
      return 0;
    }
    const result = await keys.revoke(kid);
    if (!result.revoked) {
      io.stderr.write(`no unrevoked key with kid ${kid}\n`);
      return 1;
    }
    io.stdout.write(
      `revoked: ${kid}${result.replacementKid ? `; ${result.replacementKid} signs from now on` : ''}\n`,
    );
    return 0;
  } finally {
    if (store instanceof MemoryKvStore) store.onModuleDestroy();
    await redis?.quit().catch(() => undefined);
    await dataSource.destroy();
  }
}
