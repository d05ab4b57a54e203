import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The refresh grace window's successor pair moves from Redis into the session row, written by
 * the same statement that rotates the token: a retry after a lost answer, or a racing tab,
 * finds the pair exactly when the rotation committed. Sealed (AES-256-GCM) under a key derived
 * from the rotated token, which is never stored.
 */
export class SessionGracePair1733600000000 implements MigrationInterface {
  name = 'SessionGracePair1733600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE user_sessions ADD COLUMN grace_pair TEXT`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE user_sessions DROP COLUMN grace_pair`);
  }
}
