import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

const RATE_LIMIT = /^\d+\/\d+$/;
/** 32 bytes in base64: 43 characters and one `=` of padding (optional). */
const BASE64_32 = '[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=?';
const BASE64_32_BYTES = new RegExp(`^${BASE64_32}$`);
const BASE64_32_BYTES_LIST = new RegExp(`^\\s*${BASE64_32}\\s*(,\\s*${BASE64_32}\\s*)*$`);

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export const JWT_ALGORITHMS = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** Every variable of the contract's Configuration section, validated once at start-up. */
export class EnvironmentVariables {
  @IsOptional() @IsString() HOST = '0.0.0.0';
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV = 'development';

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, {
    message: 'DATABASE_URL must be a postgres:// URL',
  })
  DATABASE_URL?: string;
  @IsOptional() @IsString() DATA_DIR = './data';
  @IsOptional()
  @Matches(/^rediss?:\/\//, {
    message: 'REDIS_URL must be a redis:// URL',
  })
  REDIS_URL?: string;
  @IsOptional() @IsString() REDIS_KEY_PREFIX = 'p21:';

  @IsOptional()
  @IsString()
  @MinLength(32, {
    message: 'JWT_SECRET_KEY must be at least 32 characters',
  })
  JWT_SECRET_KEY?: string;
  @IsOptional() @IsIn([...JWT_ALGORITHMS]) JWT_ALGORITHM = 'HS256';
  @IsOptional() @IsString() @MinLength(1) JWT_ISSUER = 'perfect21-auth';
  @IsOptional() @IsString() @MinLength(1) JWT_AUDIENCE = 'perfect21-api';
  @IsOptional() @Type(() => Number) @IsInt() @Min(10) @Max(86400) ACCESS_TOKEN_TTL_SECONDS = 3600;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(31536000)
  REFRESH_TOKEN_TTL_SECONDS = 604800;
  @IsOptional() @Type(() => Number) @IsInt() @Min(4) @Max(15) BCRYPT_ROUNDS = 12;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) JWT_KEY_ROTATION_SECONDS = 2592000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) JWT_KEY_PREPUBLISH_SECONDS = 86400;
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'INTROSPECTION_TOKEN must be at least 16 characters' })
  INTROSPECTION_TOKEN?: string;
  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    { message: 'PUBLIC_URL must be an http(s) URL, e.g. https://auth.example.com' },
  )
  PUBLIC_URL?: string;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) LOCKOUT_MAX_ATTEMPTS = 5;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) LOCKOUT_DURATION_SECONDS = 1800;

  @IsOptional() @Type(() => Number) @IsInt() @Min(0) REFRESH_REUSE_GRACE_SECONDS = 10;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) SESSION_MAX_LIFETIME_SECONDS = 2592000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) DEVICE_TOKEN_TTL_SECONDS = 7776000;
  @IsOptional()
  @Matches(RATE_LIMIT, { message: 'RATE_LIMIT_REGISTER must look like 5/3600' })
  RATE_LIMIT_REGISTER = '5/3600';
  @IsOptional()
  @Matches(RATE_LIMIT, { message: 'RATE_LIMIT_LOGIN must look like 10/3600' })
  RATE_LIMIT_LOGIN = '10/3600';
  @IsOptional()
  @Matches(RATE_LIMIT, { message: 'RATE_LIMIT_REFRESH must look like 20/3600' })
  RATE_LIMIT_REFRESH = '20/3600';
  @IsOptional()
  @Matches(RATE_LIMIT, { message: 'RATE_LIMIT_EMAIL must look like 5/3600' })
  RATE_LIMIT_EMAIL = '5/3600';
  @IsOptional()
  @Matches(RATE_LIMIT, { message: 'RATE_LIMIT_MFA must look like 10/3600' })
  RATE_LIMIT_MFA = '10/3600';

  @IsOptional() @IsString() TRUST_PROXY?: string;
  @IsOptional() @IsString() CORS_ORIGINS?: string;
  @IsOptional() @IsString() ALLOWED_HOSTS?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1024) BODY_LIMIT_BYTES = 102400;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(3600) HTTP_HEADERS_TIMEOUT_SECONDS = 10;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(3600) HTTP_REQUEST_TIMEOUT_SECONDS = 30;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(3600) HTTP_IDLE_TIMEOUT_SECONDS = 60;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS = 72;
  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsEmail()
  ADMIN_EMAIL?: string;
  @IsOptional() @IsString() ADMIN_PASSWORD?: string;

  @IsOptional()
  @Matches(/^smtps?:\/\//, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;
  @IsOptional() @IsString() @MinLength(3) MAIL_FROM?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(100) PRODUCT_NAME = 'Perfect21';
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'APP_URL must be an http(s):// URL' })
  APP_URL = 'http://localhost:3000';
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) PASSWORD_RESET_TTL_SECONDS = 1800;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) EMAIL_VERIFICATION_TTL_SECONDS = 86400;
  @IsOptional() @IsIn(['true', 'false']) REQUIRE_EMAIL_VERIFICATION = 'false';
  @IsOptional() @Type(() => Number) @IsInt() @Min(10) @Max(600000) MAIL_POLL_INTERVAL_MS = 2000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(10) MAIL_RETRY_BASE_MS = 5000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(10) MAIL_RETRY_MAX_MS = 3600000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) MAIL_MAX_ATTEMPTS = 10;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) MAIL_LEASE_SECONDS = 60;

  @IsOptional() @IsIn(['true', 'false']) MIGRATIONS_RUN = 'true';
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60000)
  DATABASE_STATEMENT_TIMEOUT_MS = 1000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1000) MIGRATION_STATEMENT_TIMEOUT_MS = 600000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(300) SHUTDOWN_DRAIN_SECONDS = 5;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) AUDIT_RETENTION_DAYS?: number;

  /** Base64 of 32 random bytes: `openssl rand -base64 32`. */
  @IsOptional()
  @Matches(BASE64_32_BYTES, {
    message: 'SECRETS_ENCRYPTION_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)',
  })
  SECRETS_ENCRYPTION_KEY?: string;
  /** Comma-separated retired keys: they still decrypt, never encrypt. */
  @IsOptional()
  @Matches(BASE64_32_BYTES_LIST, {
    message:
      'SECRETS_ENCRYPTION_KEYS_PREVIOUS must be a comma-separated list of 32-byte base64 keys',
  })
  SECRETS_ENCRYPTION_KEYS_PREVIOUS?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(64) TOTP_ISSUER = 'Perfect21';

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(65535) METRICS_PORT?: number;
}
