import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two-factor authentication (TOTP, RFC 6238):
 * - `mfa_totp_credentials`: one TOTP secret per user, sealed with AES-256-GCM (never in
 *   clear), pending until `users.two_factor_enabled` turns true; `last_step` is the last
 *   accepted time step, so no code is ever accepted twice (RFC 6238 §5.2).
 * - `mfa_recovery_codes`: SHA-256 of each single-use recovery code.
 * - `mfa_challenges`: the second login step (`mfa_token`, stored as its SHA-256), in the
 *   database so any replica can finish a login another one started; `device_id` carries
 *   the trusted device of the password step (device tokens) to the end of the login.
 * - `user_sessions.amr`: how the session was authenticated (space-separated RFC 8176
 *   values), so a refresh keeps the `amr`/`aal` claims of the login.
 */
export class TwoFactorAuthentication1733300000000 implements MigrationInterface {
  name = 'TwoFactorAuthentication1733300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE mfa_totp_credentials (
        user_id UUID NOT NULL,
        secret_encrypted TEXT NOT NULL,
        last_step BIGINT,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT mfa_totp_credentials_pkey PRIMARY KEY (user_id),
        CONSTRAINT mfa_totp_credentials_user_id_fkey FOREIGN KEY (user_id)
          REFERENCES users(id) ON DELETE CASCADE
      )`);
    await db.query(`
      CREATE TABLE mfa_recovery_codes (
        id UUID NOT NULL DEFAULT gen_random_uuid(),
        user_id UUID NOT NULL,
        code_hash VARCHAR(64) NOT NULL,
        used_at TIMESTAMP WITH TIME ZONE,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT mfa_recovery_codes_pkey PRIMARY KEY (id),
        CONSTRAINT mfa_recovery_codes_user_code_key UNIQUE (user_id, code_hash),
        CONSTRAINT mfa_recovery_codes_user_id_fkey FOREIGN KEY (user_id)
          REFERENCES users(id) ON DELETE CASCADE
      )`);
    await db.query(`
      CREATE TABLE mfa_challenges (
        id UUID NOT NULL DEFAULT gen_random_uuid(),
        token_hash VARCHAR(64) NOT NULL,
        user_id UUID NOT NULL,
        device_id UUID,
        expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        consumed_at TIMESTAMP WITH TIME ZONE,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT mfa_challenges_pkey PRIMARY KEY (id),
        CONSTRAINT mfa_challenges_token_hash_key UNIQUE (token_hash),
        CONSTRAINT mfa_challenges_user_id_fkey FOREIGN KEY (user_id)
          REFERENCES users(id) ON DELETE CASCADE
      )`);
    await db.query(`CREATE INDEX idx_mfa_challenges_expires_at ON mfa_challenges(expires_at)`);
    await db.query(`ALTER TABLE user_sessions ADD COLUMN amr VARCHAR(64) NOT NULL DEFAULT 'pwd'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE user_sessions DROP COLUMN amr`);
    await db.query(`DROP TABLE mfa_challenges`);
    await db.query(`DROP TABLE mfa_recovery_codes`);
    await db.query(`DROP TABLE mfa_totp_credentials`);
  }
}
