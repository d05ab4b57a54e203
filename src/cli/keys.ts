import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '../config/app-config';
import { CryptoModule } from '../crypto/crypto.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { SigningKeysService } from '../signing-keys/signing-keys.service';
import type { CliIo } from './cli-io';
import { CliModule } from './cli-module';

export const KEYS_USAGE = `usage: npm run cli -- keys rotate
       npm run cli -- keys revoke <kid>
  rotate: the next signing key (pre-published, or a new one) starts signing in a few seconds.
  revoke: tokens signed by <kid> are refused at once by every replica (through Redis);
          revoking the active key starts the next one.`;

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
  const app = await NestFactory.createApplicationContext(
    CliModule.forRoot(config, [CryptoModule, SigningKeysModule]),
    {
      logger: ['error', 'warn'],
      abortOnError: false,
    },
  );
  try {
    const keys = app.get(SigningKeysService);
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
    await app.close();
  }
}
