import { ConfigError, loadConfig } from '../../src/config/app-config';

describe(loadConfig.name, () => {
  it('applies the contract’s defaults', () => {
    const sut = loadConfig({});
    expect(sut).toMatchObject({
      host: '0.0.0.0',
      port: 3000,
      dataDir: './data',
      bcryptRounds: 12,
      bodyLimitBytes: 102400,
      logLevel: 'info',
      trustProxy: false,
      lockout: { maxAttempts: 5, durationSeconds: 1800 },
      rateLimits: {
        register: { limit: 5, windowSeconds: 3600 },
        login: { limit: 10, windowSeconds: 3600 },
        refresh: { limit: 20, windowSeconds: 3600 },
        mfa: { limit: 10, windowSeconds: 3600 },
      },
      totpIssuer: 'Perfect21',
      secrets: { key: undefined, previousKeys: [] },
    });
    expect(sut.jwt).toMatchObject({
      algorithm: 'HS256',
      accessTtlSeconds: 3600,
      refreshTtlSeconds: 604800,
    });
    expect(sut.sessions).toEqual({
      reuseGraceSeconds: 10,
      maxLifetimeSeconds: 2592000,
      deviceTokenTtlSeconds: 7776000,
    });
  });

  it('accepts a zero grace window (off), and no zero lifetime', () => {
    expect(loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '0' }).sessions.reuseGraceSeconds).toBe(0);
    expect(() => loadConfig({ SESSION_MAX_LIFETIME_SECONDS: '0' })).toThrow(
      /SESSION_MAX_LIFETIME_SECONDS/,
    );
    expect(() => loadConfig({ DEVICE_TOKEN_TTL_SECONDS: '-1' })).toThrow(
      /DEVICE_TOKEN_TTL_SECONDS/,
    );
    expect(() => loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '1.5' })).toThrow(
      /REFRESH_REUSE_GRACE_SECONDS/,
    );
  });

  it('applies the email defaults of the contract', () => {
    expect(loadConfig({}).mail).toMatchObject({
      smtpUrl: undefined,
      appUrl: 'http://localhost:3000',
      passwordResetTtlSeconds: 1800,
      verificationTtlSeconds: 86400,
      requireVerification: false,
    });
    expect(loadConfig({}).rateLimits.email).toEqual({ limit: 5, windowSeconds: 3600 });
    expect(loadConfig({ APP_URL: 'https://app.example.com/' }).mail.appUrl).toBe(
      'https://app.example.com',
    );
  });

  it.each([
    ['SMTP_URL', 'mail.example.com:25'],
    ['APP_URL', 'app.example.com'],
    ['PASSWORD_RESET_TTL_SECONDS', '0'],
    ['EMAIL_VERIFICATION_TTL_SECONDS', 'soon'],
    ['REQUIRE_EMAIL_VERIFICATION', 'yes'],
    ['RATE_LIMIT_EMAIL', '5 per hour'],
    ['MAIL_MAX_ATTEMPTS', '0'],
  ])('refuses a bad %s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('generates a random secret outside production and says so', () => {
    const a = loadConfig({});
    const b = loadConfig({});
    expect(a.jwt.secretGenerated).toBe(true);
    expect(a.jwt.secret.length).toBeGreaterThanOrEqual(32);
    expect(a.jwt.secret).not.toBe(b.jwt.secret);
  });

  it('refuses to start in production without a JWT secret, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET_KEY/);
  });

  it.each([
    'REPLACE_ME_with_at_least_32_random_characters',
    'your-super-secret-key-minimum-32-characters',
  ])('refuses the example secret %s in production', (secret) => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET_KEY: secret })).toThrow(
      /JWT_SECRET_KEY/,
    );
    expect(() => loadConfig({ JWT_SECRET_KEY: secret })).not.toThrow();
  });

  describe('SECRETS_ENCRYPTION_KEY', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const jwt = { JWT_SECRET_KEY: 'k'.repeat(40) };

    it('is required in production, naming the variable', () => {
      expect(() => loadConfig({ NODE_ENV: 'production', ...jwt })).toThrow(
        /SECRETS_ENCRYPTION_KEY: required/,
      );
      expect(
        loadConfig({ NODE_ENV: 'production', ...jwt, SECRETS_ENCRYPTION_KEY: key }).secrets.key,
      ).toBe(key);
    });

    it('must be 32 bytes of base64; previous keys form a list', () => {
      for (const bad of ['short', Buffer.alloc(16).toString('base64'), `${key}x`]) {
        expect(() => loadConfig({ SECRETS_ENCRYPTION_KEY: bad })).toThrow(/SECRETS_ENCRYPTION_KEY/);
      }
      const other = Buffer.alloc(32, 9).toString('base64');
      expect(
        loadConfig({
          SECRETS_ENCRYPTION_KEY: key,
          SECRETS_ENCRYPTION_KEYS_PREVIOUS: `${other}, ${key}`,
        }).secrets.previousKeys,
      ).toEqual([other, key]);
      expect(() => loadConfig({ SECRETS_ENCRYPTION_KEYS_PREVIOUS: 'nope' })).toThrow(
        /SECRETS_ENCRYPTION_KEYS_PREVIOUS/,
      );
    });
  });

  it('refuses a secret shorter than 32 characters', () => {
    expect(() => loadConfig({ JWT_SECRET_KEY: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ JWT_SECRET_KEY: 'short' })).toThrow(/JWT_SECRET_KEY/);
  });

  it.each([
    ['PORT', 'abc'],
    ['BCRYPT_ROUNDS', '3'],
    ['RATE_LIMIT_LOGIN', 'ten'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'http://x'],
    ['LOG_LEVEL', 'loud'],
    ['JWT_ALGORITHM', 'none'],
    ['ADMIN_EMAIL', 'not-an-email'],
  ])('names the bad variable %s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('parses TRUST_PROXY as true, a hop count or a list', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toEqual({ hops: 1 });
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
  });

  it('trims and lower-cases ADMIN_EMAIL', () => {
    expect(
      loadConfig({ ADMIN_EMAIL: ' Ops@Example.io ', ADMIN_PASSWORD: 'Xk9#mP2$vL7q' }).admin?.email,
    ).toBe('ops@example.io');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ BCRYPT_ROUNDS: '', REDIS_URL: '' })).toMatchObject({
      bcryptRounds: 12,
      redisUrl: undefined,
    });
  });
});
