import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh rotation needs the hash of the session's current refresh token (never the token
 * itself) and when the session was revoked (revocations must outlive a restart).
 */
export class SessionRefreshTokens1732500000001 implements MigrationInterface {
  name = 'SessionRefreshTokens1732500000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE user_sessions ADD COLUMN refresh_token_hash VARCHAR(64)`);
    await db.query(`ALTER TABLE user_sessions ADD COLUMN revoked_at TIMESTAMP WITH TIME ZONE`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE user_sessions DROP COLUMN revoked_at`);
    await db.query(`ALTER TABLE user_sessions DROP COLUMN refresh_token_hash`);
  }
}
