import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { InitialSchema1732500000000 } from '../../migrations/1732500000000-InitialSchema';
import { SessionRefreshTokens1732500000001 } from '../../migrations/1732500000001-SessionRefreshTokens';
import { AuditHashChain1732600000000 } from '../../migrations/1732600000000-AuditHashChain';
import { EmailTokensAndMailOutbox1733200000000 } from '../../migrations/1733200000000-EmailTokensAndMailOutbox';
import { TwoFactorAuthentication1733300000000 } from '../../migrations/1733300000000-TwoFactorAuthentication';
import { SigningKeys1733400000000 } from '../../migrations/1733400000000-SigningKeys';
import { DeviceTokens1733500000000 } from '../../migrations/1733500000000-DeviceTokens';
import { SessionGracePair1733600000000 } from '../../migrations/1733600000000-SessionGracePair';
import { AuditLogEntity } from '../audit/audit-log.entity';
import { EmailTokenEntity } from '../email-tokens/email-token.entity';
import { MailOutboxEntity } from '../mail/mail-outbox.entity';
import { type AppConfig, IN_MEMORY_DATA_DIR } from '../config/app-config';
import { DeviceTokenEntity } from '../devices/device-token.entity';
import { MfaChallengeEntity, RecoveryCodeEntity, TotpCredentialEntity } from '../mfa/mfa.entities';
import { SessionEntity } from '../sessions/session.entity';
import { SigningKeyEntity } from '../signing-keys/signing-key.entity';
import { UserEntity } from '../users/user.entity';
import { TimeoutSafeClient } from './pg-client';
import { createPgliteDriver } from './pglite-driver';

export const ENTITIES = [
  UserEntity,
  SessionEntity,
  AuditLogEntity,
  EmailTokenEntity,
  MailOutboxEntity,
  SigningKeyEntity,
  DeviceTokenEntity,
  TotpCredentialEntity,
  RecoveryCodeEntity,
  MfaChallengeEntity,
];
export const MIGRATIONS = [
  InitialSchema1732500000000,
  SessionRefreshTokens1732500000001,
  AuditHashChain1732600000000,
  EmailTokensAndMailOutbox1733200000000,
  TwoFactorAuthentication1733300000000,
  SigningKeys1733400000000,
  DeviceTokens1733500000000,
  SessionGracePair1733600000000,
];

/**
 * One DataSource definition for the app, the migration CLI and the tests:
 * PostgreSQL through `pg` when DATABASE_URL is set, embedded PGlite in DATA_DIR otherwise.
 */
export function dataSourceOptions(
  config: Pick<AppConfig, 'databaseUrl' | 'dataDir' | 'migrationsRun'> &
    Partial<Pick<AppConfig, 'statementTimeoutMs'>>,
  purpose: 'app' | 'migrations' = 'app',
): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: config.migrationsRun,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
  };
  if (config.databaseUrl) {
    return { ...common, url: config.databaseUrl, extra: poolOptions(config, purpose) };
  }
  const inMemory = config.dataDir === IN_MEMORY_DATA_DIR;
  const dataDir = inMemory ? IN_MEMORY_DATA_DIR : resolve(config.dataDir);
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  return {
    ...common,
    driver: createPgliteDriver(dataDir),
    installExtensions: false,
    uuidExtension: 'pgcrypto',
  };
}

/**
 * The server ends a statement after `statement_timeout` and a transaction left idle after
 * `idle_in_transaction_session_timeout`, so nothing a lost client started keeps running or
 * holding locks. The client gives up a little later (`query_timeout`: the server's answer
 * had time to arrive, so silence means the network is gone) and then drops the connection
 * (TimeoutSafeClient). For the app this keeps a 503 within 2 s of a network cut.
 */
export function poolOptions(
  config: Partial<Pick<AppConfig, 'statementTimeoutMs'>>,
  purpose: 'app' | 'migrations',
) {
  const statementTimeout =
    purpose === 'app'
      ? (config.statementTimeoutMs?.app ?? 1000)
      : (config.statementTimeoutMs?.migrations ?? 600_000);
  return {
    Client: TimeoutSafeClient,
    max: purpose === 'app' ? 10 : 2,
    connectionTimeoutMillis: purpose === 'app' ? 1000 : 10_000,
    statement_timeout: statementTimeout,
    idle_in_transaction_session_timeout: Math.max(5000, statementTimeout),
    query_timeout: statementTimeout + 250,
    keepAlive: true,
  };
}
