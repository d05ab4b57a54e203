import { randomBytes } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  ASYMMETRIC_ALGORITHMS,
  AsymmetricAlgorithm,
  EnvironmentVariables,
  JwtAlgorithm,
} from './env.schema';
import { parseTrustProxy, TrustProxy } from './trust-proxy';

export interface RateLimitPolicy {
  limit: number;
  windowSeconds: number;
}

export type { TrustProxy } from './trust-proxy';

/** DATA_DIR of an embedded database that lives in memory and ends with the process. */
export const IN_MEMORY_DATA_DIR = 'memory://';

/** Typed, validated configuration. Built once from the environment by `loadConfig`. */
export class AppConfig {
  host: string;
  port: number;
  env: 'development' | 'production' | 'test';
  databaseUrl?: string;
  dataDir: string;
  redisUrl?: string;
  redisKeyPrefix: string;
  migrationsRun: boolean;
  /** Server-side statement_timeout for the app's queries; the migrations get their own. */
  statementTimeoutMs: { app: number; migrations: number };
  /** After SIGTERM: readiness 503 and keep serving this long, then stop accepting. */
  shutdownDrainSeconds: number;
  jwt: {
    secret: string;
    secretGenerated: boolean;
    algorithm: JwtAlgorithm;
    /** Set for RS256/ES256/EdDSA: the service signs with keys it manages (signing-keys/). */
    asymmetric?: AsymmetricAlgorithm;
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    keyRotationSeconds: number;
    keyPrepublishSeconds: number;
  };
  /** Bearer token for POST /api/auth/introspect; unset: the route answers 404. */
  introspectionToken?: string;
  /** Base of the absolute URLs in the discovery document, without a trailing slash. */
  publicUrl: string;
  bcryptRounds: number;
  lockout: { maxAttempts: number; durationSeconds: number };
  sessions: {
    /** 0: a rotated refresh token presented again is always a reuse. */
    reuseGraceSeconds: number;
    maxLifetimeSeconds: number;
    deviceTokenTtlSeconds: number;
  };
  rateLimits: {
    register: RateLimitPolicy;
    login: RateLimitPolicy;
    refresh: RateLimitPolicy;
    email: RateLimitPolicy;
    mfa: RateLimitPolicy;
  };
  trustProxy: TrustProxy;
  corsOrigins: string[];
  allowedHosts: string[];
  bodyLimitBytes: number;
  /** Socket timeouts of the HTTP server, in milliseconds (see createApp). */
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    idleTimeoutMs: number;
    keepAliveTimeoutMs: number;
  };
  logLevel: string;
  admin?: { email: string; password: string };
  auditRetentionDays?: number;
  mail: MailConfig;
  /** Keys of secrets at rest: `key` encrypts (unset outside production: see CryptoModule). */
  secrets: { key?: string; previousKeys: string[] };
  totpIssuer: string;
  /** Bearer token required by GET /metrics; unset: the endpoint is open. */
  metricsToken?: string;
  /** Serve /metrics on this port only (its own listener), not on PORT. */
  metricsPort?: number;
}

export interface MailConfig {
  /** Unset: development prints each message to the log; elsewhere messages wait in the outbox. */
  smtpUrl?: string;
  from: string;
  productName: string;
  /** Base of the links in mails (the product's own pages), without a trailing slash. */
  appUrl: string;
  passwordResetTtlSeconds: number;
  verificationTtlSeconds: number;
  requireVerification: boolean;
  /** The background sender: poll interval, retry back-off, attempts, claim lease. */
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  leaseSeconds: number;
}

export class ConfigError extends Error {}

/** Values copied from examples (ours, the guide's) that must never sign production tokens. */
const PLACEHOLDER_SECRET = /replace[_-]?me|change[_-]?me|your-super-secret|placeholder|^x+$/i;

const list = (value?: string) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function parseRateLimit(value: string): RateLimitPolicy {
  const [limit, windowSeconds] = value.split('/').map(Number);
  return { limit, windowSeconds };
}

/** Validates the environment (an empty variable counts as unset); throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const setVars = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const vars = plainToInstance(EnvironmentVariables, setVars, { exposeDefaultValues: true });
  const errors = validateSync(vars, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map(
      (e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`,
    );
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  if (vars.NODE_ENV === 'production' && !vars.JWT_SECRET_KEY) {
    throw new ConfigError(
      'Invalid configuration:\n  JWT_SECRET_KEY: required (at least 32 characters) when NODE_ENV=production',
    );
  }
  if (vars.NODE_ENV === 'production' && PLACEHOLDER_SECRET.test(vars.JWT_SECRET_KEY ?? '')) {
    throw new ConfigError(
      'Invalid configuration:\n  JWT_SECRET_KEY: still the example placeholder; generate one (openssl rand -base64 48)',
    );
  }
  if (vars.NODE_ENV === 'production' && !vars.SECRETS_ENCRYPTION_KEY) {
    throw new ConfigError(
      'Invalid configuration:\n  SECRETS_ENCRYPTION_KEY: required when NODE_ENV=production (openssl rand -base64 32)',
    );
  }
  if (vars.HTTP_HEADERS_TIMEOUT_SECONDS > vars.HTTP_REQUEST_TIMEOUT_SECONDS) {
    throw new ConfigError(
      'Invalid configuration:\n  HTTP_HEADERS_TIMEOUT_SECONDS: must not exceed HTTP_REQUEST_TIMEOUT_SECONDS',
    );
  }
  if (
    vars.METRICS_PORT !== undefined &&
    vars.METRICS_PORT !== 0 &&
    vars.METRICS_PORT === vars.PORT
  ) {
    throw new ConfigError('Invalid configuration:\n  METRICS_PORT: must differ from PORT');
  }
  if (vars.JWT_KEY_PREPUBLISH_SECONDS > vars.JWT_KEY_ROTATION_SECONDS) {
    throw new ConfigError(
      'Invalid configuration:\n  JWT_KEY_PREPUBLISH_SECONDS: must not exceed JWT_KEY_ROTATION_SECONDS',
    );
  }
  if (Boolean(vars.ADMIN_EMAIL) !== Boolean(vars.ADMIN_PASSWORD)) {
    throw new ConfigError(
      'Invalid configuration:\n  ADMIN_EMAIL/ADMIN_PASSWORD: set both or neither',
    );
  }

  const config = new AppConfig();
  config.host = vars.HOST;
  config.port = vars.PORT;
  config.env = vars.NODE_ENV as AppConfig['env'];
  config.databaseUrl = vars.DATABASE_URL;
  config.dataDir = vars.DATA_DIR;
  config.redisUrl = vars.REDIS_URL;
  config.redisKeyPrefix = vars.REDIS_KEY_PREFIX;
  config.migrationsRun = vars.MIGRATIONS_RUN === 'true';
  config.statementTimeoutMs = {
    app: vars.DATABASE_STATEMENT_TIMEOUT_MS,
    migrations: vars.MIGRATION_STATEMENT_TIMEOUT_MS,
  };
  config.shutdownDrainSeconds = vars.SHUTDOWN_DRAIN_SECONDS;
  config.jwt = {
    secret: vars.JWT_SECRET_KEY ?? randomBytes(48).toString('base64url'),
    secretGenerated: !vars.JWT_SECRET_KEY,
    algorithm: vars.JWT_ALGORITHM as JwtAlgorithm,
    asymmetric: (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(vars.JWT_ALGORITHM)
      ? (vars.JWT_ALGORITHM as AsymmetricAlgorithm)
      : undefined,
    issuer: vars.JWT_ISSUER,
    audience: vars.JWT_AUDIENCE,
    accessTtlSeconds: vars.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: vars.REFRESH_TOKEN_TTL_SECONDS,
    keyRotationSeconds: vars.JWT_KEY_ROTATION_SECONDS,
    keyPrepublishSeconds: vars.JWT_KEY_PREPUBLISH_SECONDS,
  };
  config.introspectionToken = vars.INTROSPECTION_TOKEN;
  config.publicUrl = (vars.PUBLIC_URL ?? `http://localhost:${vars.PORT}`).replace(/\/+$/, '');
  config.bcryptRounds = vars.BCRYPT_ROUNDS;
  config.lockout = {
    maxAttempts: vars.LOCKOUT_MAX_ATTEMPTS,
    durationSeconds: vars.LOCKOUT_DURATION_SECONDS,
  };
  config.sessions = {
    reuseGraceSeconds: vars.REFRESH_REUSE_GRACE_SECONDS,
    maxLifetimeSeconds: vars.SESSION_MAX_LIFETIME_SECONDS,
    deviceTokenTtlSeconds: vars.DEVICE_TOKEN_TTL_SECONDS,
  };
  config.rateLimits = {
    register: parseRateLimit(vars.RATE_LIMIT_REGISTER),
    login: parseRateLimit(vars.RATE_LIMIT_LOGIN),
    refresh: parseRateLimit(vars.RATE_LIMIT_REFRESH),
    email: parseRateLimit(vars.RATE_LIMIT_EMAIL),
    mfa: parseRateLimit(vars.RATE_LIMIT_MFA),
  };
  config.mail = {
    smtpUrl: vars.SMTP_URL,
    from: vars.MAIL_FROM ?? `${vars.PRODUCT_NAME} <no-reply@localhost>`,
    productName: vars.PRODUCT_NAME,
    appUrl: vars.APP_URL.replace(/\/+$/, ''),
    passwordResetTtlSeconds: vars.PASSWORD_RESET_TTL_SECONDS,
    verificationTtlSeconds: vars.EMAIL_VERIFICATION_TTL_SECONDS,
    requireVerification: vars.REQUIRE_EMAIL_VERIFICATION === 'true',
    pollIntervalMs: vars.MAIL_POLL_INTERVAL_MS,
    retryBaseMs: vars.MAIL_RETRY_BASE_MS,
    retryMaxMs: vars.MAIL_RETRY_MAX_MS,
    maxAttempts: vars.MAIL_MAX_ATTEMPTS,
    leaseSeconds: vars.MAIL_LEASE_SECONDS,
  };
  try {
    config.trustProxy = parseTrustProxy(vars.TRUST_PROXY);
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  ${(err as Error).message}`, { cause: err });
  }
  config.corsOrigins = list(vars.CORS_ORIGINS);
  config.allowedHosts = list(vars.ALLOWED_HOSTS).map((h) => h.toLowerCase());
  config.bodyLimitBytes = vars.BODY_LIMIT_BYTES;
  config.http = {
    headersTimeoutMs: vars.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
    requestTimeoutMs: vars.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
    idleTimeoutMs: vars.HTTP_IDLE_TIMEOUT_SECONDS * 1000,
    keepAliveTimeoutMs: vars.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
  };
  config.logLevel = vars.LOG_LEVEL;
  if (vars.ADMIN_EMAIL && vars.ADMIN_PASSWORD) {
    config.admin = { email: vars.ADMIN_EMAIL.trim().toLowerCase(), password: vars.ADMIN_PASSWORD };
  }
  config.auditRetentionDays = vars.AUDIT_RETENTION_DAYS;
  config.metricsToken = vars.METRICS_TOKEN;
  config.secrets = {
    key: vars.SECRETS_ENCRYPTION_KEY,
    previousKeys: list(vars.SECRETS_ENCRYPTION_KEYS_PREVIOUS),
  };
  config.totpIssuer = vars.TOTP_ISSUER;
  config.metricsPort = vars.METRICS_PORT;
  return config;
}

/**
 * For the server only (the CLIs share the configuration but open no port): in production
 * /metrics must not be open to whoever reaches PORT.
 */
export function assertMetricsProtected(config: AppConfig): void {
  if (config.env === 'production' && !config.metricsToken && config.metricsPort === undefined) {
    throw new ConfigError(
      'Invalid configuration:\n  METRICS_TOKEN/METRICS_PORT: set one in production, else ' +
        'GET /metrics is open to anyone who reaches PORT (a token for scrapers, or a port ' +
        'your Service/proxy does not expose)',
    );
  }
}
