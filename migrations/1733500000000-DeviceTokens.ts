import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Device tokens (OWASP "device cookies"): a login from a device that logged in before is
 * not subject to the email's lockout. Only the token's SHA-256 is stored; `failed_attempts`
 * is the device's own count of wrong passwords.
 */
export class DeviceTokens1733500000000 implements MigrationInterface {
  name = 'DeviceTokens1733500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE device_tokens (
        id UUID NOT NULL DEFAULT gen_random_uuid(),
        user_id UUID NOT NULL,
        token_hash VARCHAR(64) NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
        revoked_at TIMESTAMP WITH TIME ZONE,
        CONSTRAINT device_tokens_pkey PRIMARY KEY (id),
        CONSTRAINT device_tokens_token_hash_key UNIQUE (token_hash),
        CONSTRAINT device_tokens_user_id_fkey FOREIGN KEY (user_id)
          REFERENCES users(id) ON DELETE CASCADE
      )`);
    await db.query(`CREATE INDEX idx_device_tokens_user_id ON device_tokens(user_id)`);
    await db.query(`CREATE INDEX idx_device_tokens_expires_at ON device_tokens(expires_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE device_tokens`);
  }
}
