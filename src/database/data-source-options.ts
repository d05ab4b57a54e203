import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { InitialSchema1732500000000 } from '../../migrations/1732500000000-InitialSchema';
import { SessionRefreshTokens1732500000001 } from '../../migrations/1732500000001-SessionRefreshTokens';
import { AuditHashChain1732600000000 } from '../../migrations/1732600000000-AuditHashChain';
import { TwoFactorAuthentication1733300000000 } from '../../migrations/1733300000000-TwoFactorAuthentication';
import { AuditLogEntity } from '../audit/audit-log.entity';
import type { AppConfig } from '../config/app-config';
import { MfaChallengeEntity, RecoveryCodeEntity, TotpCredentialEntity } from '../mfa/mfa.entities';
import { SessionEntity } from '../sessions/session.entity';
import { UserEntity } from '../users/user.entity';
import { createPgliteDriver } from './pglite-driver';

export const ENTITIES = [
  UserEntity,
  SessionEntity,
  AuditLogEntity,
  TotpCredentialEntity,
  RecoveryCodeEntity,
  MfaChallengeEntity,
];
export const MIGRATIONS = [
  InitialSchema1732500000000,
  SessionRefreshTokens1732500000001,
  AuditHashChain1732600000000,
  TwoFactorAuthentication1733300000000,
];

/**
 * One DataSource definition for the app, the migration CLI and the tests:
 * PostgreSQL through `pg` when DATABASE_URL is set, embedded PGlite in DATA_DIR otherwise.
 */
export function dataSourceOptions(
  config: Pick<AppConfig, 'databaseUrl' | 'dataDir' | 'migrationsRun'>,
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
    return {
      ...common,
      url: config.databaseUrl,
      // Fail fast when PostgreSQL is unreachable: API requests must answer 503 within 2 s.
      extra: { max: 10, connectionTimeoutMillis: 1500, query_timeout: 1500 },
    };
  }
  const dataDir = config.dataDir === 'memory://' ? 'memory://' : resolve(config.dataDir);
  if (dataDir !== 'memory://') mkdirSync(dataDir, { recursive: true });
  return {
    ...common,
    driver: createPgliteDriver(dataDir),
    installExtensions: false,
    uuidExtension: 'pgcrypto',
  };
}
